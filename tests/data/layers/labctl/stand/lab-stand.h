/* Fixture (test-layers.c): the header of stand/. */
#pragma once

#include "lab-recipe.h"   /* allowed */
