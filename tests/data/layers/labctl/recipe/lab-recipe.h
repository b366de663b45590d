/* Fixture (test-layers.c): a header of recipe/. */
#pragma once
