/* Fixture (test-layers.c): layout: a source file in no layer's folder. */
