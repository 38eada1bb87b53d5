/*
 * The signal policy of commands that write a bundle (collect, snapshot) or extract one: an
 * interrupt or a termination removes the temporary bundle or the staging directory and exits,
 * so nothing is ever left under a final name. Only cmd/ installs handlers; the modules below it
 * never do.
 */
#ifndef LOGPACK_SIGNALS_H
#define LOGPACK_SIGNALS_H

/*
 * SIGINT, SIGTERM and SIGHUP: remove the bundle being written (bag_writer_signal_cleanup),
 * say so on stderr and _exit with 128 + the signal (130, 143, 129). SIGXFSZ is ignored, so a
 * file size limit fails a write with EFBIG instead of killing the process mid-bundle.
 */
void signals_install_bundle_cleanup(void);
/*
 * For extract (one bundle or --chain): the same signals remove the staging directory
 * (stage_signal_cleanup), say so on stderr and _exit with 128 + the signal.
 */
void signals_install_extract_cleanup(void);

#endif
