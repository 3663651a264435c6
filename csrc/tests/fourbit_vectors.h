// Reads tensors of the upstream reference vectors (a safetensors file: an 8-byte header length, a JSON
// header naming each tensor's dtype, shape and byte range, then the data) for the 4-bit tests.
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <string>
#include <vector>

namespace test {

class ReferenceVectors {
  public:
    // Loads the whole file; ok() tells whether that worked.
    explicit ReferenceVectors(const char* path) {
        FILE* f = fopen(path, "rb");
        if (f == nullptr) return;
        uint64_t header_len = 0;
        if (fread(&header_len, 8, 1, f) == 1 && header_len < (1u << 24)) {
            header_.resize(header_len);
            if (fread(&header_[0], 1, header_len, f) == header_len) {
                char chunk[1 << 16];
                size_t got;
                while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) data_.insert(data_.end(), chunk, chunk + got);
                ok_ = true;
            }
        }
        fclose(f);
    }
    bool ok() const { return ok_; }

    // The raw bytes of tensor key with its safetensors dtype ("F32", "BF16", "U8", ...); empty when the
    // key is missing or its dtype differs.
    std::vector<uint8_t> bytes(const std::string& key, const char* dtype) const {
        const std::string quoted = "\"" + key + "\":";
        size_t at = header_.find(quoted);
        if (at == std::string::npos) return {};
        size_t end = header_.find('}', at);
        size_t d = header_.find("\"dtype\":\"", at);
        size_t o = header_.find("\"data_offsets\":[", at);
        if (d > end || o > end) return {};
        d += 9;
        if (header_.compare(d, header_.find('"', d) - d, dtype) != 0) return {};
        unsigned long long begin = 0, stop = 0;
        if (sscanf(header_.c_str() + o + 16, "%llu,%llu", &begin, &stop) != 2 || stop > data_.size()) return {};
        return std::vector<uint8_t>(data_.begin() + begin, data_.begin() + stop);
    }

    std::vector<float> floats(const std::string& key) const {
        std::vector<uint8_t> b = bytes(key, "F32");
        std::vector<float> f(b.size() / 4);
        if (!f.empty()) memcpy(f.data(), b.data(), b.size());
        return f;
    }

  private:
    bool ok_ = false;
    std::string header_;
    std::vector<uint8_t> data_;
};

}  // namespace test
