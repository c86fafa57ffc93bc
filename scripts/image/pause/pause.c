/*
 * The sandbox ("pause") container of the e2e node: holds a Pod's namespaces open, reaps zombies
 * (it is PID 1 of the Pod when process namespaces are shared) and exits on SIGINT or SIGTERM.
 * Built static into a FROM scratch image by scripts/image/build.sh; the upstream pause image
 * cannot be pulled on a machine without a container registry.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int signo) { _exit(signo == SIGTERM || signo == SIGINT ? 0 : 1); }

static void reap(int signo) {
  (void)signo;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction on_stop = {.sa_handler = stop};
  struct sigaction on_child = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP};
  if (getpid() != 1) {
    /* Not a problem, but worth a line in the container log. */
    static const char msg[] = "pause: not running as PID 1\n";
    (void)!write(2, msg, sizeof msg - 1);
  }
  if (sigaction(SIGINT, &on_stop, NULL) < 0 || sigaction(SIGTERM, &on_stop, NULL) < 0 ||
      sigaction(SIGCHLD, &on_child, NULL) < 0) {
    return 1;
  }
  for (;;) pause();
}
