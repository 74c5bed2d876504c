/* A main() for the fuzz targets when built without libFuzzer: runs
 * LLVMFuzzerTestOneInput over every file named on the command line (the
 * seed corpus), so ctest exercises each target on every build. With clang
 * and -fsanitize=fuzzer the targets are linked without this file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	int ran = 0;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		uint8_t *buf = NULL;
		size_t len = 0, cap = 0;
		for (;;) {
			if (len == cap) {
				cap = cap ? cap * 2 : 4096;
				uint8_t *nb = realloc(buf, cap);
				if (!nb) {
					free(buf);
					fclose(f);
					return 1;
				}
				buf = nb;
			}
			size_t n = fread(buf + len, 1, cap - len, f);
			if (n == 0)
				break;
			len += n;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		ran++;
	}
	printf("ran %d inputs\n", ran);
	return ran > 0 ? 0 : 1;
}
