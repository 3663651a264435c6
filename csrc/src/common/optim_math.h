// The per-element arithmetic of the optimizer kernels, shared by the CPU library and the CUDA plugin so
// that both compute the same bits: 32-bit state gives bit-identical parameters and state, 8-bit state
// identical codes and absmax (spec §3.14-§3.18; what upstream computes, operation for operation).
//
// Floating-point discipline, which the bit-identity rests on:
//  - Every operation is a single IEEE float operation, rounded to nearest, evaluated in the order
//    written (parenthesised as upstream's CUDA kernels are). No fast math, no flush to zero, and no
//    contraction of a*b+c into an FMA: the CPU files compile with -ffp-contract=off and the CUDA
//    files with --fmad=false (csrc/CMakeLists.txt). sqrtf and '/' are correctly rounded on both.
//  - Upstream's __fdividef(a, b) is modelled as a * (1 / b) with a correctly rounded reciprocal
//    (fdividef() below): that is what the intrinsic approximates (MUFU.RCP, then a multiply).
//  - The bias corrections depend only on (beta, step) per tensor: the host computes them once per
//    tensor with the same code in both libraries (step_constants()), so no powf runs on the GPU.
//  - Reductions over a whole tensor (gradient norm, update norm, parameter norm) are summed in
//    double, then rounded to float. Their order differs between the backends, so the float sums are
//    identical unless a double sum lies within ~1e-16 of a float rounding boundary.
//  - Where upstream stores an intermediate into a 16-bit register (T), the code rounds through the
//    parameter dtype with Rnd::apply (identity for F32), so F16/BF16 parameters round where upstream
//    rounds.
//
// The parts: optim/scalars.h (rules, hyper-parameters, step constants), optim/rules32.h and
// optim/rules8.h (the element updates of 32-bit and 8-bit state), optim/requantize.h (8-bit state to
// codes, by search and by step table), optim/norms.h (update-norm cap, percentile clipping).
#pragma once

#include "common/optim/norms.h"
#include "common/optim/requantize.h"
#include "common/optim/rules32.h"
#include "common/optim/rules8.h"
#include "common/optim/scalars.h"
