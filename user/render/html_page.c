// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The page's parts come from user/render/html/ (report.html, report.css,
 * report.js), turned into C arrays by xxd -i at build time
 * (build/render/html_assets.h): they stay files a browser and an editor
 * open as they are, and the binary needs nothing beside it at run time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "render/html.h"
#include "render/html_assets.h"
#include "render/html_data.h"
#include "util/json_writer.h"

/*
 * Inline style and script only, nothing from anywhere: a page a CI job
 * attaches must not call home, and a name in a snapshot must not run code.
 */
#define CSP                                                                                        \
	"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "              \
	"img-src data:"

/*
 * Inside <script> the HTML parser looks for "</script" and "<!--" whatever
 * the JSON means: every '<' (only ever inside a JSON string) becomes
 * \u003c, which JSON.parse reads back as '<'.
 */
static void put_data(const char *data, size_t len, FILE *out)
{
	size_t from = 0;

	for (size_t i = 0; i < len; i++) {
		if (data[i] != '<')
			continue;
		fwrite(data + from, 1, i - from, out);
		fputs("\\u003c", out);
		from = i + 1;
	}
	fwrite(data + from, 1, len - from, out);
}

static int write_page(const char *title, const char *data, size_t len, FILE *out)
{
	fprintf(out,
		"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"" CSP "\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<title>%s</title>\n<style>\n",
		title);
	fwrite(report_css, 1, report_css_len, out);
	fputs("</style>\n</head>\n<body>\n", out);
	fwrite(report_html, 1, report_html_len, out);
	fputs("<script type=\"application/json\" id=\"memtrace-data\">", out);
	put_data(data, len, out);
	fputs("</script>\n<script>\n", out);
	fwrite(report_js, 1, report_js_len, out);
	fputs("</script>\n</body>\n</html>\n", out);
	return fflush(out) || ferror(out) ? -EIO : 0;
}

/* The page's data object: what body writes between the kind and the interned frames. */
static int write_data(const char *kind, html_body_fn body, const void *ctx, FILE *m)
{
	struct json_writer *w = json_writer__new(m, false);
	struct html_tables t = {};
	int err;

	if (!w)
		return -ENOMEM;
	json_writer__begin_object(w);
	json_writer__kv_string(w, "kind", kind);
	json_writer__kv_string(w, "version", MEMTRACE_VERSION);
	err = body(ctx, w, &t);
	html_tables__write(&t, w);
	json_writer__end_object(w);
	if (!err)
		err = json_writer__error(w);
	json_writer__free(w);
	html_tables__release(&t);
	return err;
}

int html_page__write(const char *kind, html_body_fn body, const void *ctx, FILE *out)
{
	char *data = NULL, title[32];
	size_t len = 0;
	FILE *m;
	int err;

	/* the data whole before the page starts: a failure leaves no half page behind */
	m = open_memstream(&data, &len);
	if (!m)
		return -errno;
	err = write_data(kind, body, ctx, m);
	if (fclose(m) && !err)
		err = -ENOMEM;
	snprintf(title, sizeof(title), "memtrace %s", kind);
	if (!err)
		err = write_page(title, data, len, out);
	free(data);
	return err;
}
