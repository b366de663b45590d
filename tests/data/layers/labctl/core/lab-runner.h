/* Fixture (test-layers.c): the runner's header. */
#pragma once
