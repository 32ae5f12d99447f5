/* chunk.h: cutting a document into chunks, each a byte span of the file.
 *
 * A chunk is [start, end) of the document's bytes, trimmed of surrounding
 * blank space, so a quote from it can always be found in the file at a
 * known place. The cut depends only on the bytes and the parameters: the
 * same file always gives the same chunks, hence stable chunk ids.
 *
 *   paragraph  blank lines separate chunks; in Markdown a heading also
 *              starts one (the default)
 *   heading    Markdown: a heading and everything under it, to the next
 *              heading; other formats as paragraph
 *   size       windows of at most max_bytes, cut at white space
 *
 * Whatever the mode, a chunk longer than max_bytes is cut again, after a
 * sentence when one ends in the second half of the window, else at white
 * space, never inside a UTF-8 sequence. JSON documents are cut per element
 * of a top-level array or member of a top-level object; CSV per row. */
#ifndef WR_SOURCE_CHUNK_H
#define WR_SOURCE_CHUNK_H

#include <stddef.h>

enum chunk_mode { CHUNK_PARAGRAPH, CHUNK_HEADING, CHUNK_SIZE };
enum chunk_format { FORMAT_TEXT, FORMAT_MARKDOWN, FORMAT_JSON, FORMAT_CSV };

#define CHUNK_MAX_DEFAULT 1500

struct chunk_params {
	enum chunk_mode mode;
	size_t max_bytes;       /* 0: CHUNK_MAX_DEFAULT; at least 64 */
};

/* The format a file name's extension says (.md .markdown .json .csv; else
 * text). */
enum chunk_format chunk_format_of(const char *path);
/* "paragraph", "heading", "size"; -1 for another name. */
int chunk_mode_parse(const char *name);

/* Calls fn(ud, start, end) for each chunk of text[0..len), in order, until
 * fn returns non-zero. Returns the number of chunks. */
size_t chunk_text(const char *text, size_t len, enum chunk_format format,
                  const struct chunk_params *p,
                  int (*fn)(void *ud, size_t start, size_t end), void *ud);

#endif
