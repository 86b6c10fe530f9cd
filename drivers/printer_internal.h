/* Inside drivers/ only: access to a printer handle's implementation state. */
#pragma once
#include "drivers/printer.h"

const struct drv_printer_ops *drv_printer_ops_of(const struct drv_printer *p);
void *drv_printer_impl_of(const struct drv_printer *p);
