/* SPDX-License-Identifier: MIT */
/** @file metric.h  Metric series: chunked storage, ingest and reading. */
#ifndef BANCADA_CORE_METRIC_H
#define BANCADA_CORE_METRIC_H

#include "common.h"
#include "project.h"

BC_BEGIN_DECL

typedef struct bc_point {
	int64_t step;
	double value;
	int64_t wall_ms;
} bc_point;

/** Batches points for one run in memory; points reach the store on flush. */
typedef struct bc_ingest bc_ingest;

BC_EXTERN(int) bc_ingest_new(bc_ingest **out, bc_project *p, const char *run_id);
/** Add one point. step < 0 means "next step for this key". */
BC_EXTERN(int) bc_ingest_add(bc_ingest *in, const char *key, int64_t step,
	double value, int64_t wall_ms);
/**
 * Parse one line of the JSON-lines channel ({"step": N, "k": v, ...}) and add
 * its numeric members. Returns the number of points, or BC_EINVALID for a
 * malformed line (nothing added).
 */
BC_EXTERN(int) bc_ingest_line(bc_ingest *in, const char *line, size_t len, int64_t wall_ms);
/**
 * Write buffered points and summaries in one transaction. If `channel` is
 * non-NULL, the channel's consumed byte offset is stored in the same
 * transaction (so recovery resumes exactly where ingest stopped).
 */
BC_EXTERN(int) bc_ingest_flush(bc_ingest *in, const char *channel, int64_t offset);
/** Number of malformed lines seen so far. */
BC_EXTERN(int64_t) bc_ingest_bad_lines(const bc_ingest *in);
/** Points buffered and not yet flushed. */
BC_EXTERN(size_t) bc_ingest_pending(const bc_ingest *in);
BC_EXTERN(void) bc_ingest_free(bc_ingest *in);

/**
 * Ingest a JSON-lines channel file from its stored offset to its last
 * complete line, and store the new offset. Returns points added, or <0.
 */
BC_EXTERN(int64_t) bc_ingest_channel(bc_project *p, const char *run_id,
	const char *channel, const char *path);

/** Keys with series for a run (sorted). */
BC_EXTERN(int) bc_metric_keys(bc_project *p, const char *run_id, char ***out, size_t *n);
BC_EXTERN(void) bc_strv_free(char **v, size_t n);

/**
 * Read a series, optionally restricted to steps [lo, hi] (inclusive;
 * INT64_MIN/INT64_MAX for all). Points are in insertion order.
 */
BC_EXTERN(int) bc_metric_series(bc_project *p, const char *run_id, const char *key,
	int64_t lo, int64_t hi, bc_point **out, size_t *n);

/**
 * Downsample to at most `buckets` columns, never hiding extremes: each
 * bucket keeps its first, min, max and last point (in step order).
 * `out` gets at most 4*buckets points.
 */
BC_EXTERN(size_t) bc_metric_downsample(const bc_point *in, size_t n, size_t buckets,
	bc_point *out);

/**
 * The lowest and highest step of a series (from the chunk index, without
 * reading points). BC_ENOTFOUND when the run has no such series.
 */
BC_EXTERN(int) bc_metric_step_range(bc_project *p, const char *run_id, const char *key,
	int64_t *lo, int64_t *hi);

/**
 * Read a series reduced to at most `buckets` step columns without
 * materialising every point. The columns split [lo, hi] into equal step
 * ranges (an open end, INT64_MIN or INT64_MAX, stops at the series' first or
 * last step): a point at step s lies in column
 * floor((s - lo) * buckets / (hi - lo + 1)). Each column keeps its first,
 * min, max and last point, so a one-step spike is never hidden. Chunks lying
 * inside one column are read from their stored summaries; only chunks that
 * straddle a column edge are decoded, so a wide range costs about
 * `buckets` chunk reads however long the series is. `out` must hold
 * 4*buckets points; returns the count in step order, or <0.
 */
BC_EXTERN(int) bc_metric_series_reduced(bc_project *p, const char *run_id, const char *key,
	int64_t lo, int64_t hi, size_t buckets, bc_point *out, size_t *n);

/**
 * Like bc_metric_series_reduced, with an exponential moving average applied
 * first: v' = alpha * previous + (1 - alpha) * v over the points in [lo, hi]
 * in the order they were logged (NaN and infinities pass unsmoothed). Every
 * chunk in the range is decoded. alpha = 0 is no smoothing; BC_EINVALID
 * outside [0, 1).
 */
BC_EXTERN(int) bc_metric_series_smoothed(bc_project *p, const char *run_id, const char *key,
	int64_t lo, int64_t hi, size_t buckets, double alpha, bc_point *out, size_t *n);

BC_END_DECL
#endif
