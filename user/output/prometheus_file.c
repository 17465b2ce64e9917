// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/output_file.h"
#include "output/prometheus.h"
#include "output/prometheus_file.h"

#define PROMETHEUS_WHAT "Prometheus metrics"

int prometheus_file__open(struct prometheus_file *pf, const char *dir, const char *job)
{
	struct output_file probe;
	char *doing = NULL;
	int err;

	*pf = (struct prometheus_file){ .job = job };
	if (asprintf(&pf->path, "%s/%s", dir, PROMETHEUS_FILE_NAME) < 0 ||
	    asprintf(&doing, "cannot write " PROMETHEUS_WHAT " to %s", dir) < 0) {
		pf->path = NULL;
		err = -ENOMEM;
		goto cleanup;
	}
	/* made when missing, as -o DIR/ does: a textfile directory is often made for it */
	err = output_file__open_dir(dir, true, doing);
	if (err < 0)
		goto cleanup;
	pf->dirfd = err;
	pf->dir_open = true;
	/* a file begun and dropped: an unwritable DIR fails now, not at the first interval */
	err = output_file__open_what(&probe, pf->dirfd, PROMETHEUS_FILE_NAME, pf->path,
				     PROMETHEUS_WHAT);
	if (!err)
		output_file__abort(&probe);
cleanup:
	free(doing);
	if (err < 0)
		prometheus_file__release(pf);
	return err < 0 ? err : 0;
}

int prometheus_file__write(struct prometheus_file *pf, const struct run_summary *s)
{
	struct output_file o;
	int err;

	err = output_file__open_what(&o, pf->dirfd, PROMETHEUS_FILE_NAME, pf->path,
				     PROMETHEUS_WHAT);
	if (err)
		return err;
	err = prometheus__write(s, pf->job, o.f);
	if (err) {
		/* a full disk may have room at the next interval: said once */
		if (!pf->failed)
			fprintf(stderr, "memtrace: cannot write " PROMETHEUS_WHAT " to %s: %s\n",
				pf->path, strerror(-err));
		pf->failed = true;
		output_file__abort(&o);
		return err;
	}
	return output_file__commit(&o);
}

void prometheus_file__release(struct prometheus_file *pf)
{
	if (pf->dir_open)
		close(pf->dirfd);
	free(pf->path);
	*pf = (struct prometheus_file){};
}
