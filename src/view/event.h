/* event.h — what an input handler tells the loop, and mouse events.
 *
 * Handlers return flags (the htop pattern): EV_HANDLED when the input was
 * theirs, EV_REDRAW when the screen must be drawn again, EV_RELAYOUT when
 * the page must be laid out again (its height changed), EV_QUIT to leave. */
#ifndef LS_VIEW_EVENT_H
#define LS_VIEW_EVENT_H

enum {
    EV_NONE = 0,
    EV_HANDLED = 1 << 0,
    EV_REDRAW = 1 << 1,
    EV_RELAYOUT = 1 << 2,
    EV_QUIT = 1 << 3,
};

typedef enum MouseKind {
    MOUSE_PRESS,      /* left button down */
    MOUSE_DRAG,       /* moved with the button down */
    MOUSE_RELEASE,
    MOUSE_WHEEL_UP,
    MOUSE_WHEEL_DOWN,
} MouseKind;

typedef struct MouseEvent {
    MouseKind kind;
    int y, x;         /* screen cell; views receive page-canvas coordinates */
} MouseEvent;

#endif
