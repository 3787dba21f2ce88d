/* SPDX-License-Identifier: MIT */
/* Resource usage of a process tree (CPU %, RSS; GPU through nvidia-smi when present). */
#ifndef BANCADA_TUI_SYSMON_H
#define BANCADA_TUI_SYSMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sysmon;
struct sysmon *sysmon_new(pid_t root);
/* Write one JSON line of sys/ metrics for `step` into line; returns its length (0 = nothing). */
int sysmon_sample(struct sysmon *m, int64_t step, char *line, size_t size);
void sysmon_free(struct sysmon *m);

#endif
