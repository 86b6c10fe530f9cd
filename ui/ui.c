/* ui/ library placeholder: screens arrive with issue 6. */
int ui_placeholder(void);
int ui_placeholder(void) { return 0; }
