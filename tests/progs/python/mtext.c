// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mtext: a C extension module for tests/integration/test_python_stacks.c,
 * built against each interpreter's headers (tests/progs/progs.mk). Its
 * functions malloc and keep what they are asked for, so the block is a leak
 * whose stack starts in C, under the Python function that called it:
 *
 *   ext_alloc(n)        malloc(n) with the GIL held
 *   ext_alloc_nogil(n)  malloc(n) between Py_BEGIN_ALLOW_THREADS and
 *                       Py_END_ALLOW_THREADS: the thread has released the GIL,
 *                       as a PyTorch op does, and its Python frames must still
 *                       be found
 *   ext_call_back(fn)   calls fn(): a C frame between two Python frames, which
 *                       --python=mixed keeps and --python=only leaves out
 *
 * The first two return the address as an int. The test reads each malloc's line from
 * its MARK comment.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdlib.h>

#define MAX_KEPT 64

/* kept here, never freed: reachable, but still a leak to memtrace */
static void *kept[MAX_KEPT];
static int nr_kept;

static int keep(void *p)
{
	if (!p || nr_kept == MAX_KEPT) {
		free(p);
		return -1;
	}
	kept[nr_kept++] = p;
	return 0;
}

static PyObject *ext_alloc(PyObject *self, PyObject *arg)
{
	Py_ssize_t n = PyLong_AsSsize_t(arg);
	void *p;

	(void)self;
	if (n < 0)
		return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_ValueError, "negative size");
	p = malloc(n); /* MARK: ext_alloc */
	if (keep(p))
		return PyErr_NoMemory();
	return PyLong_FromVoidPtr(p);
}

static PyObject *ext_alloc_nogil(PyObject *self, PyObject *arg)
{
	Py_ssize_t n = PyLong_AsSsize_t(arg);
	void *p;

	(void)self;
	if (n < 0)
		return PyErr_Occurred() ? NULL : PyErr_Format(PyExc_ValueError, "negative size");
	Py_BEGIN_ALLOW_THREADS
	p = malloc(n); /* MARK: ext_alloc_nogil */
	Py_END_ALLOW_THREADS
	if (keep(p))
		return PyErr_NoMemory();
	return PyLong_FromVoidPtr(p);
}

static PyObject *ext_call_back(PyObject *self, PyObject *fn)
{
	PyObject *ret;

	(void)self;
	/* not a tail call (-fno-optimize-sibling-calls): this frame stays under fn's */
	ret = PyObject_CallObject(fn, NULL); /* MARK: ext_call_back */
	return ret;
}

static PyMethodDef mtext_methods[] = {
	{ "ext_alloc", ext_alloc, METH_O, "malloc(n) and keep it, with the GIL held" },
	{ "ext_alloc_nogil", ext_alloc_nogil, METH_O, "malloc(n) and keep it, the GIL released" },
	{ "ext_call_back", ext_call_back, METH_O, "call fn() from C" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef mtext_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "mtext",
	.m_doc = "memtrace's test extension: mallocs from C under Python callers",
	.m_size = -1,
	.m_methods = mtext_methods,
};

PyMODINIT_FUNC PyInit_mtext(void)
{
	return PyModule_Create(&mtext_module);
}
