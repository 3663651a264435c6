// Candidate kernels kept side by side until one GPU run of the C++ benches decides between them: the bench
// sets an environment variable per sweep and prints the variant in its JSON lines. Not part of the C API;
// the variable is read on every call so that one process can sweep. When a winner is chosen, its name
// becomes the default and the losers' names and code go.
#pragma once

#include <stdlib.h>
#include <string.h>

#include <initializer_list>

namespace bnb {

// Index of the environment variable env's value in names; default_index when unset or unknown.
inline int kernel_variant(const char* env, std::initializer_list<const char*> names, int default_index) {
    const char* value = getenv(env);
    if (value == nullptr) return default_index;
    int i = 0;
    for (const char* name : names) {
        if (strcmp(name, value) == 0) return i;
        ++i;
    }
    return default_index;
}

}  // namespace bnb
