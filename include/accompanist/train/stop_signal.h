// SIGTERM / SIGUSR1 (SLURM pre-emption, `scancel --signal`) ask the trainer to
// save a checkpoint and exit cleanly. The handler only sets a flag; the ranks
// agree on it with an all-reduce once per step.
#pragma once

namespace acc::train {

void install_stop_handlers();
bool stop_requested();
int stop_signal_number();  // the signal that asked, 0 if none
void request_stop_for_testing();

}  // namespace acc::train
