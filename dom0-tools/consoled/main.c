/* xenia-consoled: the console daemon on its own (see consoled.c). */
#include "consoled.h"

int main(int argc, char **argv)
{
    return xn_consoled_main(argc, argv);
}
