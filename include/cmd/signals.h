/*
 * The signal policy of every command: while a bundle is written (collect, snapshot) or
 * extracted, an interrupt or a termination removes the temporary bundle or the staging
 * directory and exits, so nothing is ever left under a final name; during an upload it stops
 * the transfer and keeps the bundle. Only cmd/ installs handlers; the modules below it
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
/*
 * For an upload (after collect or snapshot too, replacing their policy: the bundle is kept
 * now): the same signals stop the transfer (upload_interrupt) and the command exits 130
 * with the bundle kept.
 */
void signals_install_upload_stop(void);
/*
 * For a command writing a plain file through base/atomic-file.c (decrypt): the same signals
 * remove its temporary files (atomic_file_signal_cleanup) and exit with 128 + the signal.
 */
void signals_install_file_cleanup(void);
/*
 * For receive --watch: the same signals only ask it to stop (signals_stop_requested), after
 * the bundle it is dealing with; a kill at any point is safe too (the next run recovers).
 */
void signals_install_receive_stop(void);
int signals_stop_requested(void);

#endif
