/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Names that someone else chose (a traced program's comm and symbols, a
 * file's name, a snapshot's strings), made safe for a terminal, a log or a
 * markdown table. One form everywhere, so a test, a grep or a person reads
 * the same thing in every output:
 *
 * - a backslash is written "\\", so that every escape below is unambiguous;
 * - each of these bytes is written "\xHH" (two lowercase hex digits):
 *   C0 controls (0x00-0x1f, ESC and newline among them) and DEL (0x7f);
 *   every byte of a C1 control (U+0080-U+009F: 0x9b is a terminal's CSI),
 *   of a line or paragraph separator or a bidirectional override (U+2028-
 *   U+202E, U+2066-U+2069: they reorder what a reader sees); and every byte
 *   that does not start a well-formed UTF-8 sequence (Unicode table 3-7:
 *   overlong forms, surrogates, past U+10FFFF, truncated sequences), one
 *   escape per byte;
 * - every other character, multi-byte UTF-8 included, is kept.
 *
 * Markdown adds to that: inside a code span a backtick becomes a quote
 * ('), and in a table cell '|' becomes "\|" (GitHub splits cells before it
 * reads code spans, and shows "\|" as '|').
 *
 * JSON output does not use this: json_writer.h escapes control bytes as
 * \u00XX and turns each invalid byte into U+FFFD, as JSON requires.
 */
#ifndef MEMTRACE_TEXT_ESCAPE_H
#define MEMTRACE_TEXT_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The longest escape of one input byte: "\xHH" */
#define TEXT_ESCAPE_RATIO 4

enum text_escape_mode {
	TEXT_ESCAPE_PLAIN,   /* a terminal, a log, an error message */
	TEXT_ESCAPE_MD_CODE, /* inside a markdown code span */
	TEXT_ESCAPE_MD_CELL, /* inside a code span in a markdown table cell */
};

/* Length of the well-formed UTF-8 sequence at s (left bytes there), or 0 if none starts there. */
size_t text_escape__utf8_len(const unsigned char *s, size_t left);

/*
 * Escapes the len bytes at s into buf (size bytes, always NUL-terminated
 * when size > 0), whole escapes only: what does not fit is left out and
 * *cut (when not NULL) says so. Returns the bytes written, without the NUL.
 */
size_t text_escape__buf(const char *s, size_t len, enum text_escape_mode mode, char *buf,
			size_t size, bool *cut);
/* The same for a C string in the plain form; NULL escapes as "". Returns buf. */
const char *text_escape(const char *s, char *buf, size_t size);
/* The plain form of s to f, whole; 0 or -EIO. */
int text_escape__fputs(const char *s, FILE *f);

#endif /* MEMTRACE_TEXT_ESCAPE_H */
