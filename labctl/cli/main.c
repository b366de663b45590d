/* main.c: the labctl executable. */
#include "lab-cli.h"

int
main (int argc, char **argv)
{
  return lab_cli_main (argc, argv);
}
