/* The floor for any libfcgi application: N threads, each blocking in FCGX_Accept_r on one
 * unix socket, answering every request "Status: 204" with no body and reading nothing.
 * latchkey's /auth is compared with this behind the same nginx location shape.
 *
 *   bare_fcgi SOCKET_PATH [THREADS] [no-linger]   (THREADS default 4, like latchkey's 2 x cores)
 *
 * With "no-linger" it closes each connection the way latchkey does: once the input stream
 * has ended, without libfcgi's lingering close (shutdown, then wait for the peer to close).
 */
#include <fcgiapp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int listen_fd;
static int no_linger;

static void *worker(void *unused) {
  (void)unused;
  FCGX_Request request;
  FCGX_InitRequest(&request, listen_fd, 0);
  while (FCGX_Accept_r(&request) == 0) {
    if (no_linger) {
      char next;
      request.detached = FCGX_GetStr(&next, 1, request.in) == 0 && FCGX_HasSeenEOF(request.in) == EOF;
    }
    FCGX_PutS("Status: 204 No Content\r\n\r\n", request.out);
    FCGX_Finish_r(&request);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s SOCKET_PATH [THREADS]\n", argv[0]);
    return 2;
  }
  const int threads = argc > 2 ? atoi(argv[2]) : 4;
  no_linger = argc > 3 && strcmp(argv[3], "no-linger") == 0;
  if (threads < 1 || threads > 256) {
    fprintf(stderr, "bare_fcgi: THREADS must be 1..256\n");
    return 2;
  }
  unlink(argv[1]);
  if (FCGX_Init() != 0) return 1;
  listen_fd = FCGX_OpenSocket(argv[1], 128);
  if (listen_fd < 0) {
    perror("bare_fcgi: FCGX_OpenSocket");
    return 1;
  }
  chmod(argv[1], 0666);
  pthread_t ids[256];
  for (int i = 0; i < threads; ++i) pthread_create(&ids[i], NULL, worker, NULL);
  for (int i = 0; i < threads; ++i) pthread_join(ids[i], NULL);
  return 0;
}
