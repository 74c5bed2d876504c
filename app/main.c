/* The wssim executable: subcommand dispatch. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: wssim <command> [options]\n");
		return 2;
	}
	fprintf(stderr, "wssim: unknown command '%s'\n", argv[1]);
	return 2;
}
