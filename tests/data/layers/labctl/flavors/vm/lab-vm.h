/* Fixture (test-layers.c): a header of a flavor (a sub-folder of flavors/). */
#pragma once

#include "lab-storage.h"   /* allowed: below flavors/ */
