/* The wssim executable: subcommand dispatch. Libraries do the work; this
 * target only parses the command line and links everything. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

#ifndef WSSIM_VERSION
#define WSSIM_VERSION "0.1.0"
#endif

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
    {"run", cmd_run,
     "run scenarios: the mock Tomcat behind the real proxy, browser-like "
     "clients"},
    {"capture", cmd_capture,
     "read a pcap (or capture live): TCP, HTTP, websocket and AJP "
     "sessions"},
    {"replay", cmd_replay,
     "replay a recording (capture -o) against a running setup, diff the "
     "answers"},
    {"mock-tomcat", cmd_mock_tomcat,
     "run the mock Tomcat 10.1 (HTTP, HTTPS, AJP13 connectors)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: wssim <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'wssim <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	/* A peer that goes away must give EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("wssim %s\n", WSSIM_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "wssim: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
