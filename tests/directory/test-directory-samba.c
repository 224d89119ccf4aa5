#include "ps-test.h"
int main (int argc, char **argv) { ps_test_init (&argc, &argv); return g_test_run (); }
