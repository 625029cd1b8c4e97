//===- netjit.h - The whole public C++ API of netjit ------------------------===//
//
// Include this one header to build graphs with Exprs, write losses, and
// build, inspect, evaluate, train, save and load models. See docs/guide.md
// and docs/training.md.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "frontend/array.h"
#include "frontend/expr.h"
#include "frontend/grad.h"
#include "frontend/losses.h"
#include "frontend/models.h"
#include "frontend/math.h"
#include "frontend/model_file.h"
#include "frontend/optimizers.h"
#include "frontend/recurrent.h"
#include "frontend/scan.h"
#include "frontend/text_data.h"
#include "frontend/trainer.h"
