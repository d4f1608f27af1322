"""Reference data shipped with Sen CRM: Vietnam's administrative units (see NOTICE.md)."""
