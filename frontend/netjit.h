//===- netjit.h - The whole public C++ API of netjit ------------------------===//
//
// Include this one header to build graphs with Exprs, write losses, and
// build, inspect and evaluate models. See docs/guide.md.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/array.h"
#include "frontend/expr.h"
#include "frontend/grad.h"
#include "frontend/losses.h"
#include "frontend/models.h"
#include "frontend/math.h"
