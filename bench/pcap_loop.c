/* pcap_loop: the bare libpcap read loop, the limit the capture benchmark
 * (bench/capture_bench.sh) compares `wssim capture -r` with. Opens the
 * file with pcap_open_offline, reads every packet with pcap_next_ex and
 * touches each one (its captured length and first and last byte, so the
 * data is really read), and prints one line on stdout:
 *
 *   packets=N bytes=B file_bytes=F seconds=S mb_per_s=R
 *
 * where B counts captured packet bytes and R is the file size in MB
 * (10^6 bytes) per second of wall time (pcap_open_offline to the last
 * packet), the unit the benchmark uses for every tool.
 *
 * With --buffer N the file is opened with fopen, given a page-aligned
 * stdio buffer of N bytes and handed to pcap_fopen_offline, which is how
 * `wssim capture -r` reads (capture/cap_pcap.c, 256 KiB): the limit for
 * that way of reading.
 *
 *   pcap_loop [--buffer N] FILE */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t bufsize = 0;
	if (argc == 4 && strcmp(argv[1], "--buffer") == 0) {
		char *end;
		unsigned long long v = strtoull(argv[2], &end, 10);
		if (*end || v < 4096 || v > (1ull << 30) || v % 4096) {
			fputs("pcap_loop: --buffer: a multiple of 4096 up to "
			      "1 GiB\n",
			      stderr);
			return 2;
		}
		bufsize = (size_t)v;
		argv += 2;
		argc -= 2;
	}
	if (argc != 2) {
		fputs("usage: pcap_loop [--buffer N] FILE\n", stderr);
		return 2;
	}
	struct stat sb;
	if (stat(argv[1], &sb) != 0) {
		perror(argv[1]);
		return 3;
	}
	char err[PCAP_ERRBUF_SIZE];
	double t0 = now();
	pcap_t *pc;
	char *buf = NULL;
	if (bufsize) {
		FILE *f = fopen(argv[1], "rb");
		buf = aligned_alloc(4096, bufsize);
		if (!f || !buf || setvbuf(f, buf, _IOFBF, bufsize) != 0) {
			perror(argv[1]);
			return 3;
		}
		pc = pcap_fopen_offline(f, err);
		if (!pc)
			fclose(f);
	} else {
		pc = pcap_open_offline(argv[1], err);
	}
	if (!pc) {
		fprintf(stderr, "pcap_loop: %s\n", err);
		free(buf);
		return 3;
	}
	uint64_t packets = 0, bytes = 0, touch = 0;
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc;
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
		packets++;
		bytes += h->caplen;
		if (h->caplen)
			touch += d[0] ^ d[h->caplen - 1];
	}
	double t = now() - t0;
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "pcap_loop: %s\n", pcap_geterr(pc));
		pcap_close(pc);
		free(buf);
		return 1;
	}
	pcap_close(pc);
	free(buf);
	printf("packets=%llu bytes=%llu file_bytes=%lld seconds=%.4f "
	       "mb_per_s=%.1f touch=%llu\n",
	       (unsigned long long)packets, (unsigned long long)bytes,
	       (long long)sb.st_size, t, (double)sb.st_size / 1e6 / t,
	       (unsigned long long)(touch & 0xff));
	return 0;
}
