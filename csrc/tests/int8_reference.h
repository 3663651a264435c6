// Reads tensors from upstream's reference vectors (a safetensors file): an 8-byte header length, a JSON
// header of {"name": {"dtype", "shape", "data_offsets"}}, then the data. Enough JSON for that header.
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <string>
#include <vector>

namespace test {

struct RefTensor {
    std::string dtype;           // "F16", "F32", "I8", "I64", "U8", ...
    std::vector<int64_t> shape;  // empty for a scalar
    std::vector<uint8_t> data;   // raw little-endian bytes
    bool found = false;
    int64_t elements() const {
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        return n;
    }
    template <typename T>
    std::vector<T> as() const {
        std::vector<T> v(data.size() / sizeof(T));
        memcpy(v.data(), data.data(), v.size() * sizeof(T));
        return v;
    }
};

class RefFile {
public:
    explicit RefFile(const char* path) {
        FILE* f = fopen(path, "rb");
        if (!f) return;
        uint64_t header_len = 0;
        if (fread(&header_len, 8, 1, f) == 1) {
            header_.resize(header_len);
            if (fread(&header_[0], 1, header_len, f) == header_len) {
                std::vector<uint8_t> rest;
                uint8_t buf[1 << 16];
                size_t got;
                while ((got = fread(buf, 1, sizeof buf, f)) > 0) rest.insert(rest.end(), buf, buf + got);
                data_ = std::move(rest);
                ok_ = true;
            }
        }
        fclose(f);
    }
    bool ok() const { return ok_; }

    RefTensor get(const std::string& name) const {
        RefTensor t;
        size_t at = header_.find("\"" + name + "\"");
        if (at == std::string::npos) return t;
        size_t end = header_.find('}', at);
        std::string entry = header_.substr(at, end - at);
        t.dtype = string_field(entry, "dtype");
        t.shape = int_list(entry, "shape");
        std::vector<int64_t> offsets = int_list(entry, "data_offsets");
        if (offsets.size() != 2 || offsets[1] > static_cast<int64_t>(data_.size())) return t;
        t.data.assign(data_.begin() + offsets[0], data_.begin() + offsets[1]);
        t.found = true;
        return t;
    }

private:
    static std::string string_field(const std::string& entry, const char* key) {
        size_t at = entry.find(std::string("\"") + key + "\"");
        if (at == std::string::npos) return "";
        size_t open = entry.find('"', entry.find(':', at) + 1);
        size_t close = entry.find('"', open + 1);
        return entry.substr(open + 1, close - open - 1);
    }
    static std::vector<int64_t> int_list(const std::string& entry, const char* key) {
        std::vector<int64_t> out;
        size_t at = entry.find(std::string("\"") + key + "\"");
        if (at == std::string::npos) return out;
        size_t open = entry.find('[', at);
        size_t close = entry.find(']', open);
        const char* p = entry.c_str() + open + 1;
        const char* stop = entry.c_str() + close;
        while (p < stop) {
            char* next = nullptr;
            long long v = strtoll(p, &next, 10);
            if (next == p) {
                ++p;
                continue;
            }
            out.push_back(v);
            p = next;
        }
        return out;
    }

    std::string header_;
    std::vector<uint8_t> data_;
    bool ok_ = false;
};

}  // namespace test
