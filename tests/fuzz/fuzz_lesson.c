/* fuzz_lesson.c — libFuzzer harness: the lesson parser and the linter's
 * checks. Any bytes must become a lesson (with diagnostics), never a crash. */
#include <stddef.h>
#include <stdint.h>

#include "../../src/lesson/lesson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Lesson l;
    Status st;
    if (lesson_parse(&l, (const char *)data, size, "lessons/01-fuzz.md", &st) == LS_OK)
        lesson_check(&l, &st);
    lesson_free(&l);
    return 0;
}
