// The plugin's implementation of every bnb_cuda_* function of bnb.h, named bnbk_<name>, declared
// from the same X-macro list that lays out the table they fill (common/cuda_plugin.h).
#pragma once

#include "common/cuda_plugin.h"

#define BNBK_DECLARE(name, params, args) bnb_status bnbk_##name params;
BNB_CUDA_FUNCTIONS(BNBK_DECLARE)
#undef BNBK_DECLARE
