/* SPDX-License-Identifier: MIT */
/** @file bancada.h  Umbrella header of libbancada-core. */
#ifndef BANCADA_CORE_BANCADA_H
#define BANCADA_CORE_BANCADA_H

#include "common.h"
#include "buf.h"
#include "project.h"
#include "run.h"
#include "metric.h"
#include "text.h"
#include "gitinfo.h"
#include "jsonio.h"
#include "data.h"
#include "import.h"
#include "bundle.h"

#define BANCADA_VERSION_STRING "0.1.0"

#endif
