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
 *   pcap_loop FILE */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
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
	if (argc != 2) {
		fputs("usage: pcap_loop FILE\n", stderr);
		return 2;
	}
	struct stat sb;
	if (stat(argv[1], &sb) != 0) {
		perror(argv[1]);
		return 3;
	}
	char err[PCAP_ERRBUF_SIZE];
	double t0 = now();
	pcap_t *pc = pcap_open_offline(argv[1], err);
	if (!pc) {
		fprintf(stderr, "pcap_loop: %s\n", err);
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
		return 1;
	}
	pcap_close(pc);
	printf("packets=%llu bytes=%llu file_bytes=%lld seconds=%.4f "
	       "mb_per_s=%.1f touch=%llu\n",
	       (unsigned long long)packets, (unsigned long long)bytes,
	       (long long)sb.st_size, t, (double)sb.st_size / 1e6 / t,
	       (unsigned long long)(touch & 0xff));
	return 0;
}
