/* Fixture (test-layers.c): layout: a second header of the name of core/'s. */
#pragma once
