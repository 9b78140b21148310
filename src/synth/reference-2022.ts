/**
 * The final 19-weight network of the 2022 synthesis (sparse20-after-100-steps-matrix.json),
 * embedded so that reports can compare against it without reading files.
 *
 * From github.com/anhinga/julia-flux-drafts (arxiv-1606-09470-section3/May-August-2022/
 * v0-1/feedforward-run-3/sparsification), MIT License, Copyright (c) 2021 anhinga; the
 * full license text is in data/dmm-2022/README.md.
 */
import type { VValue } from "../vvalue/types.js";

/** The 19 soft links of the 2022 network (rank-4: target, field, source, field). */
export const SPARSE20_2022: VValue = {
  "norm-2-1": {
    dict: {
      "accum-1-2": {
        dict: 0.6799909,
      },
      input: {
        char: -0.5035984,
      },
    },
  },
  "dot-2-2": {
    "dict-2": {
      eos: {
        char: -1.289527,
      },
    },
    "dict-1": {
      "accum-1-2": {
        dict: -0.68474704,
      },
      input: {
        char: -0.5177265,
      },
    },
  },
  output: {
    "dict-2": {
      "compare-5-1": {
        true: 1.0863824,
      },
    },
    "dict-1": {
      "compare-3-1": {
        false: -1.2568029,
      },
      "compare-4-2": {
        false: 1.069833,
      },
    },
  },
  "compare-1-2": {
    "dict-2": {
      const_1: {
        const_1: 0.4385935,
      },
    },
    "dict-1": {
      const_1: {
        const_1: -0.44793695,
      },
    },
  },
  "compare-5-1": {
    "dict-2": {
      "dot-2-2": {
        dot: -0.689225,
      },
    },
    "dict-1": {
      "dot-2-2": {
        dot: 0.67944056,
      },
    },
  },
  "compare-3-1": {
    "dict-2": {
      "norm-2-1": {
        norm: -0.25060785,
      },
      "compare-1-2": {
        false: 0.44996113,
      },
    },
    "dict-1": {
      "norm-2-1": {
        norm: 0.25769955,
      },
      "compare-1-2": {
        false: -0.44086167,
      },
    },
  },
  "accum-1-2": {
    "dict-2": {
      input: {
        char: 0.76140845,
      },
    },
  },
  "compare-4-2": {
    "dict-2": {
      "norm-2-1": {
        norm: 0.60425675,
      },
    },
    "dict-1": {
      "norm-2-1": {
        norm: -0.5982746,
      },
    },
  },
};
