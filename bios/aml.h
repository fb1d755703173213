/* A small builder for ACPI Machine Language (ACPI 6.4 chapter 20, "ACPI
 * Machine Language Specification"), enough for the DSDT turtles hands to a
 * directly booted kernel: names, integers, strings, packages, buffers,
 * scopes, devices, simple methods (If/Else, Return, Store), and resource
 * templates (ACPI 6.4 section 6.4).
 *
 * Opening a construct that carries a PkgLength (scope, device, method,
 * package, if, else) returns a mark; the contents follow as ordinary
 * emits, and aml_end(mark) inserts the PkgLength once the size is known.
 * Constructs close innermost first. Errors (bad name, out of memory)
 * make the builder "failed": later calls do nothing and aml_ok() says so. */
#ifndef TURTLES_BIOS_AML_H
#define TURTLES_BIOS_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
    uint8_t *data;
    size_t len, cap;
    bool failed;
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
static inline bool aml_ok(const struct aml *a) { return !a->failed; }

void aml_byte(struct aml *a, uint8_t b);
void aml_bytes(struct aml *a, const void *p, size_t n);

/* Data objects. */
void aml_integer(struct aml *a, uint64_t v); /* shortest encoding: Zero, One, Byte..QWord */
void aml_string(struct aml *a, const char *s);
/* "PNP0A03" -> the compressed EISA ID integer (ACPI 6.4 6.1.5, _HID). */
void aml_eisaid(struct aml *a, const char *id);
/* A NameString: "\\_SB_.PCI0", "_S5", "^PCI0"; segments shorter than 4
 * characters are padded with '_' (ACPI 6.4 20.2.2). */
void aml_namestring(struct aml *a, const char *path);
/* Buffer(n) { bytes } */
void aml_buffer(struct aml *a, const void *bytes, size_t n);

/* Name(name, <object emitted next>) */
void aml_name(struct aml *a, const char *name);

/* Constructs with a PkgLength: emit contents, then aml_end(mark). */
size_t aml_scope(struct aml *a, const char *name);
size_t aml_device(struct aml *a, const char *name);
size_t aml_method(struct aml *a, const char *name, unsigned nargs, bool serialized);
size_t aml_package(struct aml *a, unsigned nelements);
size_t aml_if(struct aml *a);   /* predicate first, then the body */
size_t aml_else(struct aml *a); /* directly after the If it belongs to */
void aml_end(struct aml *a, size_t mark);

/* Statements: the opcode; its operands are emitted next. */
void aml_return(struct aml *a);       /* Return(<operand>) */
void aml_store(struct aml *a);        /* Store(<source>, <target>) */
void aml_arg(struct aml *a, unsigned n); /* Arg0..Arg6 */

/* Resource descriptors, appended to a template under construction; wrap
 * with aml_resource_template(). Address descriptors are producers with
 * fixed minimum and maximum, as a host bridge's windows are. */
void aml_res_word_bus(struct aml *r, uint16_t min, uint16_t max);
void aml_res_io(struct aml *r, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
void aml_res_word_io(struct aml *r, uint16_t min, uint16_t max);
void aml_res_dword_mem(struct aml *r, uint32_t min, uint32_t max, bool cacheable);
void aml_res_qword_mem(struct aml *r, uint64_t min, uint64_t max, bool cacheable);
void aml_res_irq_noflags(struct aml *r, uint16_t irq_mask);
/* ResourceTemplate() { r + EndTag } as a Buffer object. */
void aml_resource_template(struct aml *a, const struct aml *r);

#endif
