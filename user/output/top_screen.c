// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

#include "output/top_screen.h"
#include "util/units.h"

#define HEADER_ROWS 4	/* the header's three lines and the views' line */
#define SPARK_MAX 60	/* a sample a refresh: a minute at the default */
#define ESC_LEN 64

static struct {
	bool open;
	bool utf8;
	struct termios saved;		/* the terminal's modes before ncurses */
	bool saved_ok;
	/* what puts the main screen back: rmkx, rmcup, cnorm, written by restore_now */
	char esc[3][ESC_LEN];
	int stderr_fd;			/* the real stderr while its output is kept aside */
	int kept_fd;			/* where it goes meanwhile: a memfd */
	bool atexit_set;
} screen = { .stderr_fd = -1, .kept_fd = -1 };

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT };

/* TERM names a terminal terminfo knows, one whose cursor can be moved about. */
static bool terminal_known(void)
{
	TERMINAL *saved = cur_term;
	char *cup;
	int err;
	bool ok;

	if (setupterm(NULL, STDOUT_FILENO, &err) != OK)
		return false;
	cup = tigetstr("cup");
	ok = cup && cup != (char *)-1;
	del_curterm(cur_term);
	set_curterm(saved);
	return ok;
}

int top_screen__check(int *cols, int *rows)
{
	struct winsize ws;

	*cols = *rows = 0;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) ||
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws))
		return -ENOTTY;
	*cols = ws.ws_col;
	*rows = ws.ws_row;
	if (*cols < TOP_MIN_COLS || *rows < TOP_MIN_ROWS)
		return -ERANGE;
	return terminal_known() ? 0 : -ENOENT;
}

static void write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

void top_screen__restore_now(void)
{
	if (!screen.open)
		return;
	for (int i = 0; i < 3; i++)
		write_all(STDOUT_FILENO, screen.esc[i], strlen(screen.esc[i]));
	if (screen.saved_ok)
		tcsetattr(STDIN_FILENO, TCSANOW, &screen.saved);
	/* what stderr got meanwhile stays in the memfd: it goes with memtrace */
	if (screen.stderr_fd >= 0)
		dup2(screen.stderr_fd, STDERR_FILENO);
	screen.open = false;
}

static void on_fatal(int sig)
{
	/* SA_RESETHAND: the default action is back; once the terminal is, it is taken */
	top_screen__restore_now();
	raise(sig);
}

static void keep_escape(int i, const char *cap)
{
	char *s = tigetstr((char *)cap);

	if (s && s != (char *)-1)
		snprintf(screen.esc[i], ESC_LEN, "%s", s);
}

/* stderr into a memfd: written out at close, when the main screen is back. */
static void keep_stderr(void)
{
	int fd = memfd_create("memtrace-stderr", MFD_CLOEXEC);

	if (fd < 0)
		return;
	fflush(stderr);
	screen.stderr_fd = dup(STDERR_FILENO);
	if (screen.stderr_fd < 0 || dup2(fd, STDERR_FILENO) < 0) {
		close(fd);
		if (screen.stderr_fd >= 0)
			close(screen.stderr_fd);
		screen.stderr_fd = -1;
		return;
	}
	screen.kept_fd = fd;
}

static void give_back_stderr(void)
{
	char buf[4096];
	ssize_t n;

	if (screen.stderr_fd < 0)
		return;
	fflush(stderr);
	dup2(screen.stderr_fd, STDERR_FILENO);
	close(screen.stderr_fd);
	screen.stderr_fd = -1;
	if (lseek(screen.kept_fd, 0, SEEK_SET) == 0)
		while ((n = read(screen.kept_fd, buf, sizeof(buf))) > 0)
			write_all(STDERR_FILENO, buf, (size_t)n);
	close(screen.kept_fd);
	screen.kept_fd = -1;
}

static void close_at_exit(void)
{
	top_screen__close();
}

int top_screen__open(void)
{
	struct sigaction sa = { .sa_handler = on_fatal, .sa_flags = SA_RESETHAND | SA_NODEFER };

	/* the sparkline's blocks and the programs' UTF-8 names, when the locale says UTF-8 */
	setlocale(LC_CTYPE, "");
	screen.utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	screen.saved_ok = !tcgetattr(STDIN_FILENO, &screen.saved);
	/* newterm, not initscr: a failure is returned, not an exit */
	if (!newterm(NULL, stdout, stdin))
		return -ENOTTY;
	set_escdelay(25);
	keep_escape(0, "rmkx");
	keep_escape(1, "rmcup");
	keep_escape(2, "cnorm");
	screen.open = true;
	cbreak();	/* not raw: Ctrl-C stays SIGINT, as in a run without top */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		sigaction(fatal_signals[i], &sa, NULL);
	if (!screen.atexit_set)
		screen.atexit_set = !atexit(close_at_exit);
	keep_stderr();
	return 0;
}

void top_screen__close(void)
{
	if (!screen.open)
		return;
	endwin();
	screen.open = false;
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++)
		signal(fatal_signals[i], SIG_DFL);
	give_back_stderr();
}

int top_screen__key(void)
{
	int c = getch();

	return c == ERR ? -1 : c;
}

int top_screen__input_fd(void)
{
	return STDIN_FILENO;
}

const char *top_screen__sparkline(const uint64_t *v, size_t n, bool utf8, char *buf, size_t len)
{
	static const char ascii[] = "_.:-=+*#";
	uint64_t max = 0;
	size_t at = 0, width = utf8 ? 3 : 1;

	if (!len)
		return buf;
	for (size_t i = 0; i < n; i++)
		max = v[i] > max ? v[i] : max;
	/* whole characters only, and the NUL */
	for (size_t i = 0; i < n && at + width < len; i++) {
		unsigned int level = max ? (unsigned int)((double)v[i] / (double)max * 7 + 0.5) : 0;

		if (utf8) {
			/* U+2581 LOWER ONE EIGHTH BLOCK and up: e2 96 81..88 */
			buf[at++] = (char)0xe2;
			buf[at++] = (char)0x96;
			buf[at++] = (char)(0x81 + level);
		} else {
			buf[at++] = ascii[level];
		}
	}
	buf[at] = '\0';
	return buf;
}

/* A string cut to the columns left from x. */
static void put(int y, int x, const char *s)
{
	if (x < COLS && y < LINES)
		mvaddnstr(y, x, s, COLS - x);
}

static void draw_live_line(const struct top_model *m, int y, bool gpu)
{
	uint64_t v[SPARK_MAX];
	char bytes[UNITS_BUF], line[128], spark[SPARK_MAX * 3 + 1];
	int width;
	size_t n;

	snprintf(line, sizeof(line), "%-4s live %10s  ", gpu ? "GPU" : "host",
		 units__bytes(gpu ? m->totals.gpu_live : m->totals.host_live, bytes));
	put(y, 0, line);
	/* the minute in the columns left, not the bytes (a block is 3 bytes of UTF-8) */
	width = COLS - (int)strlen(line) - 1;
	if (width <= 0)
		return;
	n = top_model__history_columns(m, gpu, v, width < SPARK_MAX ? (size_t)width : SPARK_MAX);
	mvaddstr(y, (int)strlen(line), top_screen__sparkline(v, n, screen.utf8, spark,
							     sizeof(spark)));
}

static void draw_header(const struct top_model *m, const struct top_screen_extra *x)
{
	static const char *const views[] = { "[p] processes", "[t] threads", "[S] sites" };
	char line[256], dur[UNITS_BUF];
	int at = 0;

	snprintf(line, sizeof(line),
		 "memtrace top - %u process%s traced, %u running - elapsed %s - lost events %llu"
		 " - refresh %gs",
		 m->totals.processes, m->totals.processes == 1 ? "" : "es", m->totals.running,
		 units__duration(m->totals.elapsed_s, dur), (unsigned long long)m->totals.lost,
		 x->refresh_s);
	put(0, 0, line);
	if (m->paused) {
		attron(A_REVERSE);
		put(0, COLS - 8, " PAUSED ");
		attroff(A_REVERSE);
	}
	draw_live_line(m, 1, false);
	draw_live_line(m, 2, true);
	for (int v = 0; v < TOP_VIEW_COUNT; v++) {
		if (v == (int)m->view)
			attron(A_REVERSE);
		put(3, at, views[v]);
		attroff(A_REVERSE);
		at += (int)strlen(views[v]) + 2;
	}
	snprintf(line, sizeof(line), " sort %s %s%s%s", top_model__sort_title(m),
		 m->ascending[m->view] ? "up" : "down", m->filter[0] ? "  filter " : "", m->filter);
	put(3, at, line);
}

/* One row of the process or thread table, or its titles (r NULL). */
static void draw_row(const struct top_model *m, int y, const struct top_row *r)
{
	char buf[64], cell[64];
	int x = 0;

	for (size_t i = 0; i < top_nr_row_columns && x < COLS; i++) {
		const struct top_column *c = &top_row_columns[i];
		const char *v;

		if (c->threads_only && m->view != TOP_VIEW_THREADS)
			continue;
		v = r ? top_model__row_value(c, r, false, buf, sizeof(buf)) : c->title;
		snprintf(cell, sizeof(cell), c->format == TOP_FMT_TEXT ? "%-*.*s" : "%*.*s", c->width,
			 c->width, v);
		put(y, x, cell);
		x += c->width + 1;
	}
}

static void draw_site(int y, const struct top_site *s)
{
	char line[TOP_SITE_NAME_LEN + 6 * 80], v[TOP_SITE_COLUMNS][64], live[80];

	for (int c = 0; c < TOP_SITE_NAME; c++) {
		const char *val = top_model__site_value(s, c, false, v[c], sizeof(v[c]));

		if (val != v[c])
			snprintf(v[c], sizeof(v[c]), "%s", val);
	}
	/* "~": an estimate (--sample-bytes), as the report marks it */
	snprintf(live, sizeof(live), "%s%s", s->estimated ? "~" : "", v[TOP_SITE_LIVE]);
	snprintf(line, sizeof(line), "%8s %8s %9s %7s %-11.11s %s", live, v[TOP_SITE_BLOCKS],
		 v[TOP_SITE_GROWTH], v[TOP_SITE_PID], v[TOP_SITE_ALLOCATOR], s->name);
	put(y, 0, line);
}

static void draw_site_titles(int y)
{
	char line[128];

	snprintf(line, sizeof(line), "%8s %8s %9s %7s %-11s %s", "LIVE", "BLOCKS", "GROWTH/s",
		 "PID", "ALLOCATOR", "SITE");
	attron(A_REVERSE);
	put(y, 0, line);
	for (int x = (int)strlen(line); x < COLS; x++)
		put(y, x, " ");
	attroff(A_REVERSE);
}

/* The first row shown, so that the selected one is in the rows visible. */
static size_t first_shown(const struct top_model *m, int visible)
{
	if (visible <= 0 || m->selected < (size_t)visible)
		return 0;
	return m->selected - (size_t)visible + 1;
}

/* The process or thread table in rows [y, end), then the largest sites below it. */
static void draw_table(const struct top_model *m, int y, int end)
{
	const struct top_site *sites = m->sites.items;
	int want = (int)m->nr_order + 1, room = end - y, table = want < room / 2 ? want : room / 2;
	size_t first = first_shown(m, table - 1);
	size_t top[64], n = 0;

	attron(A_REVERSE);
	put(y, 0, "");
	for (int x = 0; x < COLS; x++)
		put(y, x, " ");
	draw_row(m, y, NULL);
	attroff(A_REVERSE);
	for (int i = 1; i < table && first + (size_t)i - 1 < m->nr_order; i++) {
		if (first + (size_t)i - 1 == m->selected)
			attron(A_BOLD);
		draw_row(m, y + i, top_model__row(m, first + (size_t)i - 1));
		attroff(A_BOLD);
	}
	y += table + 1;
	put(y++, 0, "Top sites by live bytes ([S] for all, sorted, with their stacks)");
	draw_site_titles(y++);
	/* the largest few, in insertion into a short sorted list */
	for (size_t i = 0; i < m->sites.n; i++) {
		size_t j = n < 64 ? n++ : 64;

		while (j && sites[top[j - 1]].live < sites[i].live) {
			if (j < 64)
				top[j] = top[j - 1];
			j--;
		}
		if (j < 64)
			top[j] = i;
	}
	for (size_t i = 0; i < n && y < end; i++)
		draw_site(y++, &sites[top[i]]);
}

static void draw_stack(int y, int end, const char *stack)
{
	const char *line = stack;

	while (line && *line && y < end) {
		const char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);

		if (y < LINES)
			mvaddnstr(y++, 0, line, len < COLS ? len : COLS);
		line = nl ? nl + 1 : NULL;
	}
}

static void draw_sites(const struct top_model *m, const struct top_screen_extra *x, int y, int end)
{
	int list = m->expanded ? (end - y) / 3 : end - y - 1;
	size_t first = first_shown(m, list);

	draw_site_titles(y++);
	for (int i = 0; i < list && first + (size_t)i < m->nr_order; i++) {
		if (first + (size_t)i == m->selected)
			attron(A_REVERSE);
		draw_site(y + i, top_model__site(m, first + (size_t)i));
		attroff(A_REVERSE);
	}
	if (!m->expanded || !m->nr_order)
		return;
	y += list + 1;
	put(y++, 0, "Stack (leaf first; Enter folds):");
	draw_stack(y, end, x->stack);
}

static void draw_status(const struct top_model *m, const struct top_screen_extra *x)
{
	char line[256];

	if (x->editing_filter)
		snprintf(line, sizeof(line), "filter: %s_   (Enter keeps it, Esc clears it)",
			 m->filter);
	else if (x->status)
		snprintf(line, sizeof(line), "%s", x->status);
	else
		snprintf(line, sizeof(line), "q quit  p/t/S view  < > sort  r reverse  up/down  "
					     "Enter stack  / filter  e ended  space pause  s snapshot");
	attron(A_REVERSE);
	put(LINES - 1, 0, line);
	for (int i = (int)strlen(line); i < COLS; i++)
		put(LINES - 1, i, " ");
	attroff(A_REVERSE);
}

void top_screen__draw(const struct top_model *m, const struct top_screen_extra *x)
{
	char line[128];

	if (!screen.open)
		return;
	erase();
	if (COLS < TOP_MIN_COLS || LINES < TOP_MIN_ROWS) {
		snprintf(line, sizeof(line), "memtrace top: the terminal is %dx%d; it needs %dx%d",
			 COLS, LINES, TOP_MIN_COLS, TOP_MIN_ROWS);
		put(0, 0, line);
		refresh();
		return;
	}
	draw_header(m, x);
	if (m->view == TOP_VIEW_SITES)
		draw_sites(m, x, HEADER_ROWS, LINES - 1);
	else
		draw_table(m, HEADER_ROWS, LINES - 1);
	draw_status(m, x);
	refresh();
}
