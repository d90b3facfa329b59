#include "accompanist/train/stop_signal.h"

#include <csignal>

namespace acc::train {
namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_stop_signal(int sig) {
  g_signal = sig;
}

}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);
}

bool stop_requested() {
  return g_signal != 0;
}
int stop_signal_number() {
  return int(g_signal);
}
void request_stop_for_testing() {
  g_signal = SIGUSR1;
}

}  // namespace acc::train
