/* Subcommands of the wssim executable. Each takes its own argv (argv[0]
 * is the subcommand's name) and returns the process exit code:
 * 0 success, 1 an expectation failed, 2 usage or input error, 3
 * environment error (a binary missing, a port or process failure). */
#ifndef WSSIM_CMD_H
#define WSSIM_CMD_H

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_ENV = 3,
};

int cmd_mock_tomcat(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_replay(int argc, char **argv);

#endif
