/* Fixture (test-layers.c): a header of storage/. */
#pragma once

#include "lab-recipe.h"   /* allowed: below storage/ */
