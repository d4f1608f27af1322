// The advanced filter builder (components/filter_builder.html): AND/OR groups of rules, edited
// with Alpine and written as JSON into a hidden input (``filter`` of a list, ``filters`` of a
// segment). The fields, operators and choices come from the server (``filter_fields``), and the
// server checks a tree (``filter_check``) before it is applied, so its messages name the rule.
// Loaded without ``defer`` so the function exists before Alpine (deferred) starts.
(function () {
  const NO_VALUE = new Set([
    "is_empty", "is_not_empty", "today", "yesterday", "tomorrow", "this_week", "last_week",
    "this_month", "last_month", "next_month", "this_quarter", "this_year", "last_year", "next_year",
  ]);
  const MULTI = new Set(["in", "not_in"]);

  function parse(text) {
    try {
      const tree = JSON.parse(text || "{}");
      if (tree && Array.isArray(tree.rules)) return { op: tree.op === "or" ? "or" : "and", rules: tree.rules };
    } catch (error) {
      // a broken tree starts over empty
    }
    return { op: "and", rules: [] };
  }

  window.senFilterBuilder = function (config) {
    return {
      tree: parse(config.tree),
      fields: [],
      operators: {},
      loaded: false,
      errors: [],
      busy: false,

      async load() {
        if (this.loaded) return;
        const response = await fetch(config.fieldsUrl, { headers: { Accept: "application/json" } });
        const data = await response.json();
        this.fields = data.fields;
        this.operators = data.operators;
        this.loaded = true;
        this.tree.rules.forEach((rule) => {
          if (rule.rules) rule.rules.forEach((inner) => this.normalise(inner));
          else this.normalise(rule);
        });
      },
      normalise(rule) {
        if (MULTI.has(rule.operator) && Array.isArray(rule.value)) rule.value = rule.value.map(String);
        if (this.input(rule) === "multi-text" && Array.isArray(rule.value)) rule.value = rule.value.join(", ");
        if (rule.operator === "between" && !Array.isArray(rule.value)) rule.value = ["", ""];
      },
      field(name) {
        return this.fields.find((f) => f.name === name) || { operators: [], options: [], type: "" };
      },
      opLabel(op) {
        return this.operators[op] || op;
      },
      emptyRule() {
        return { field: "", operator: "", value: "" };
      },
      addRule(group) {
        group.rules.push(this.emptyRule());
      },
      addGroup() {
        this.tree.rules.push({ op: this.tree.op === "and" ? "or" : "and", rules: [this.emptyRule()] });
      },
      removeFrom(group, index) {
        group.rules.splice(index, 1);
      },
      setField(rule) {
        const spec = this.field(rule.field);
        rule.operator = spec.operators[0] || "";
        this.resetValue(rule);
      },
      resetValue(rule) {
        const kind = this.input(rule);
        rule.value = kind === "multi" ? [] : kind.startsWith("pair") ? ["", ""] : "";
      },
      // Which input a rule needs: none, text, number, date, days, select, multi, multi-text, pair-*.
      input(rule) {
        const spec = this.field(rule.field);
        const op = rule.operator;
        if (!op || NO_VALUE.has(op)) return "none";
        if (op === "last_n_days" || op === "next_n_days") return "days";
        const dated = spec.type === "date" || spec.type === "datetime";
        if (op === "between") return dated ? "pair-date" : "pair-number";
        if (MULTI.has(op)) return spec.options.length ? "multi" : "multi-text";
        if (spec.options.length) return "select";
        if (dated) return "date";
        if (spec.type === "number") return "number";
        return "text";
      },
      clean(group) {
        const rules = [];
        for (const rule of group.rules) {
          if (rule.rules) {
            const inner = this.clean(rule);
            if (inner.rules.length) rules.push(inner);
            continue;
          }
          if (!rule.field || !rule.operator) continue;
          const kind = this.input(rule);
          let value = rule.value;
          if (kind === "none") value = null;
          if (kind === "multi-text") value = String(value || "").split(",").map((v) => v.trim()).filter(Boolean);
          rules.push({ field: rule.field, operator: rule.operator, value: value });
        }
        return { op: group.op, rules: rules };
      },
      json() {
        const tree = this.clean(this.tree);
        return tree.rules.length ? JSON.stringify(tree) : "";
      },
      count() {
        return this.clean(this.tree).rules.length;
      },
      async check() {
        const text = this.json();
        this.errors = [];
        if (!text) return true;
        const response = await fetch(`${config.checkUrl}?filter=${encodeURIComponent(text)}`, {
          headers: { Accept: "application/json" },
        });
        const data = await response.json();
        this.errors = data.errors || [];
        return this.errors.length === 0;
      },
      // Lists: check, write the tree into the form's hidden input and submit (htmx swaps the table).
      async apply() {
        this.busy = true;
        try {
          if (!(await this.check())) return;
          const input = document.getElementById(config.target);
          input.value = this.json();
          if (config.form) document.getElementById(config.form).requestSubmit();
        } finally {
          this.busy = false;
        }
      },
      clear() {
        this.tree.rules = [];
        this.apply();
      },
      // Forms (segments): keep the hidden input in step on every change.
      sync() {
        const input = document.getElementById(config.target);
        if (input) input.value = this.json() || "{}";
      },
    };
  };
})();
