/* A C program that behaves like Beej's pack.c, for the tests: the fixed-point float of
 * the guide (sign bit, 15-bit whole part, 16-bit fraction), for each float on the command
 * line; and, with -ll, the bytes of a 64-bit number before and after a hand-made htonll.
 * Written for this course; the output format is the guide's. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t htonf(float f)
{
    uint32_t p;
    uint32_t sign;

    if (f < 0) {
        sign = 1;
        f = -f;
    } else {
        sign = 0;
    }
    p = ((((uint32_t)f) & 0x7fff) << 16) | (sign << 31); /* whole part and sign */
    p |= (uint32_t)(((f - (int)f) * 65536.0f)) & 0xffff;  /* fraction */
    return p;
}

static float ntohf(uint32_t p)
{
    float f = ((p >> 16) & 0x7fff);  /* whole part */
    f += (p & 0xffff) / 65536.0f;    /* fraction */
    if (((p >> 31) & 0x1) == 0x1) {  /* sign bit set */
        f = -f;
    }
    return f;
}

static uint64_t htonll(uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(v >> (56 - 8 * i)); /* most significant first */
    }
    uint64_t out;
    memcpy(&out, b, 8);
    return out;
}

static void show(const char *what, uint64_t v)
{
    unsigned char b[8];
    memcpy(b, &v, 8);
    printf("%s", what);
    for (int i = 0; i < 8; i++) {
        printf(i ? " %02x" : "%02x", b[i]);
    }
    printf("\n");
}

int main(int argc, char *argv[])
{
    if (argc == 3 && strcmp(argv[1], "-ll") == 0) {
        uint64_t v = strtoull(argv[2], NULL, 0);
        show("memory ", v);
        show("htonll ", htonll(v));
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        float f = strtof(argv[i], NULL);
        uint32_t netf = htonf(f);
        float f2 = ntohf(netf);
        printf("Original: %f\n", f);
        printf(" Network: 0x%08X\n", netf);
        printf("Unpacked: %f\n", f2);
    }
    return 0;
}
