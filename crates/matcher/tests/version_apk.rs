//! apk version comparison: apk-tools' own test table, every version of the real Alpine
//! secdb, an independent grammar, and order properties.
//!
//! There is no apk binary on Debian to compare against, so the reference is apk-tools' test
//! table (`test/version.data`, transcribed below: version pairs with their expected order,
//! facts rather than code) plus the real secdb data of `../shared`.

use drydock_matcher::version::{ApkVersion, Scheme, apk};
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The version pairs of apk-tools' `test/version.data` (alpinelinux/apk-tools), as published:
/// `a op b`, optionally followed by a `#` comment.
const VERSION_DATA: &str = r#"
2.34 > 0.1.0_alpha
23_foo > 4_beta
1.0 < 1.0bc		# invalid. do string sort
0.1.0_alpha = 0.1.0_alpha
0.1.0_alpha < 0.1.3_alpha
0.1.3_alpha > 0.1.0_alpha
0.1.0_alpha2 > 0.1.0_alpha
0.1.0_alpha < 2.2.39-r1
2.2.39-r1 > 1.0.4-r3
1.0.4-r3 < 1.0.4-r4
1.0.4-r4 < 1.6
1.6 > 1.0.2
1.0.2 > 0.7-r1
0.7-r1 < 1.0.0
1.0.0 < 1.0.1
1.0.1 < 1.1
1.1 > 1.1_alpha1
1.1_alpha1 < 1.2.1
1.2.1 > 1.2
1.2 < 1.3_alpha
1.3_alpha < 1.3_alpha2
1.3_alpha2 < 1.3_alpha3
1.3_alpha8 > 0.6.0
0.6.0 < 0.6.1
0.6.1 < 0.7.0
0.7.0 < 0.8_beta1
0.8_beta1 < 0.8_beta2
0.8_beta4 < 4.8-r1
4.8-r1 > 3.10.18-r1
3.10.18-r1 > 2.3.0b-r1
2.3.0b-r1 < 2.3.0b-r2
2.3.0b-r2 < 2.3.0b-r3
2.3.0b-r3 < 2.3.0b-r4
2.3.0b-r4 > 0.12.1
0.12.1 < 0.12.2
0.12.2 < 0.12.3
0.12.3 > 0.12
0.12 < 0.13_beta1
0.13_beta1 < 0.13_beta2
0.13_beta2 < 0.13_beta3
0.13_beta3 < 0.13_beta4
0.13_beta4 < 0.13_beta5
0.13_beta5 > 0.9.12
0.9.12 < 0.9.13
0.9.13 > 0.9.12
0.9.12 < 0.9.13
0.9.13 > 0.0.16
0.0.16 < 0.6
0.6 < 2.1.13-r3
2.1.13-r3 < 2.1.15-r2
2.1.15-r2 < 2.1.15-r3
2.1.15-r3 > 1.2.11
1.2.11 < 1.2.12.1
1.2.12.1 < 1.2.13
1.2.13 < 1.2.14-r1
1.2.14-r1 > 0.7.1
0.7.1 > 0.5.4
0.5.4 < 0.7.0
0.7.0 < 1.2.13
1.2.13 > 1.0.8
1.0.8 < 1.2.1
1.2.1 > 0.7-r1
0.7-r1 < 2.4.32
2.4.32 < 2.8-r4
2.8-r4 > 0.9.6
0.9.6 > 0.2.0-r1
0.2.0-r1 = 0.2.0-r1
0.2.0-r1 < 3.1_p16
3.1_p16 < 3.1_p17
3.1_p17 > 1.06-r6
1.06-r6 < 006
006 > 1.0.0
1.0.0 < 1.2.2-r1
1.2.2-r1 > 1.2.2
1.2.2 > 0.3-r1
0.3-r1 < 9.3.2-r4
9.3.2-r4 < 9.3.4-r2
9.3.4-r2 > 9.3.4
9.3.4 > 9.3.2
9.3.2 < 9.3.4
9.3.4 > 1.1.3
1.1.3 < 2.16.1-r3
2.16.1-r3 = 2.16.1-r3
2.16.1-r3 > 2.1.0-r2
2.1.0-r2 < 2.9.3-r1
2.9.3-r1 > 0.9-r1
0.9-r1 > 0.8-r1
0.8-r1 < 1.0.6-r3
1.0.6-r3 > 0.11
0.11 < 0.12
0.12 < 1.2.1-r1
1.2.1-r1 < 1.2.2.1
1.2.2.1 < 1.4.1-r1
1.4.1-r1 < 1.4.1-r2
1.4.1-r2 > 1.2.2
1.2.2 < 1.3
1.3 > 1.0.3-r6
1.0.3-r6 < 1.0.4
1.0.4 < 2.59
2.59 < 20050718-r1
20050718-r1 < 20050718-r2
20050718-r2 > 3.9.8-r5
3.9.8-r5 > 2.01.01_alpha10
2.01.01_alpha10 > 0.94
0.94 < 1.0
1.0 > 0.99.3.20040818
0.99.3.20040818 > 0.7
0.7 < 1.21-r1
1.21-r1 > 0.13
0.13 < 0.90.1-r1
0.90.1-r1 > 0.10.2
0.10.2 < 0.10.3
0.10.3 < 1.6
1.6 < 1.39
1.39 > 1.00_beta2
1.00_beta2 > 0.9.2
0.9.2 < 5.94-r1
5.94-r1 < 6.4
6.4 > 2.6-r5
2.6-r5 > 1.4
1.4 < 2.8.9-r1
2.8.9-r1 > 2.8.9
2.8.9 > 1.1
1.1 > 1.0.3-r2
1.0.3-r2 < 1.3.4-r3
1.3.4-r3 < 2.2
2.2 > 1.2.6
1.2.6 < 7.15.1-r1
7.15.1-r1 > 1.02
1.02 < 1.03-r1
1.03-r1 < 1.12.12-r2
1.12.12-r2 < 2.8.0.6-r1
2.8.0.6-r1 > 0.5.2.7
0.5.2.7 < 4.2.52_p2-r1
4.2.52_p2-r1 < 4.2.52_p4-r2
4.2.52_p4-r2 > 1.02.07
1.02.07 < 1.02.10-r1
1.02.10-r1 < 3.0.3-r9
3.0.3-r9 > 2.0.5-r1
2.0.5-r1 < 4.5
4.5 > 2.8.7-r1
2.8.7-r1 > 1.0.5
1.0.5 < 8
8 < 9
9 > 2.18.3-r10
2.18.3-r10 > 1.05-r18
1.05-r18 < 1.05-r19
1.05-r19 < 2.2.5
2.2.5 < 2.8
2.8 < 2.20.1
2.20.1 < 2.20.3
2.20.3 < 2.31
2.31 < 2.34
2.34 < 2.38
2.38 < 20050405
20050405 > 1.8
1.8 < 2.11-r1
2.11-r1 > 2.11
2.11 > 0.1.6-r3
0.1.6-r3 < 0.47-r1
0.47-r1 < 0.49
0.49 < 3.6.8-r2
3.6.8-r2 > 1.39
1.39 < 2.43
2.43 > 2.0.6-r1
2.0.6-r1 > 0.2-r6
0.2-r6 < 0.4
0.4 < 1.0.0
1.0.0 < 10-r1
10-r1 > 4
4 > 0.7.3-r2
0.7.3-r2 > 0.7.3
0.7.3 < 1.95.8
1.95.8 > 1.1.19
1.1.19 > 1.1.5
1.1.5 < 6.3.2-r1
6.3.2-r1 < 6.3.3
6.3.3 > 4.17-r1
4.17-r1 < 4.18
4.18 < 4.19
4.19 > 4.3.0
4.3.0 < 4.3.2-r1
4.3.2-r1 > 4.3.2
4.3.2 > 0.68-r3
0.68-r3 < 1.0.0
1.0.0 < 1.0.1
1.0.1 > 1.0.0
1.0.0 = 1.0.0
1.0.0 < 1.0.1
1.0.1 < 2.3.2-r1
2.3.2-r1 < 2.4.2
2.4.2 < 20060720
20060720 > 3.0.20060720
3.0.20060720 < 20060720
20060720 > 1.1
1.1 = 1.1
1.1 < 1.1.1-r1
1.1.1-r1 < 1.1.3-r1
1.1.3-r1 < 1.1.3-r2
1.1.3-r2 < 2.1.10-r2
2.1.10-r2 > 0.7.18-r2
0.7.18-r2 < 0.17-r6
0.17-r6 < 2.6.1
2.6.1 < 2.6.3
2.6.3 < 3.1.5-r2
3.1.5-r2 < 3.4.6-r1
3.4.6-r1 < 3.4.6-r2
3.4.6-r2 = 3.4.6-r2
3.4.6-r2 > 2.0.33
2.0.33 < 2.0.34
2.0.34 > 1.8.3-r2
1.8.3-r2 < 1.8.3-r3
1.8.3-r3 < 4.1
4.1 < 8.54
8.54 > 4.1.4
4.1.4 > 1.2.10-r5
1.2.10-r5 < 4.1.4-r3
4.1.4-r3 = 4.1.4-r3
4.1.4-r3 < 4.2.1
4.2.1 > 4.1.0
4.1.0 < 8.11
8.11 > 1.4.4-r1
1.4.4-r1 < 2.1.9.200602141850
2.1.9.200602141850 > 1.6
1.6 < 2.5.1-r8
2.5.1-r8 < 2.5.1a-r1
2.5.1a-r1 > 1.19.2-r1
1.19.2-r1 > 0.97-r2
0.97-r2 < 0.97-r3
0.97-r3 < 1.3.5-r10
1.3.5-r10 > 1.3.5-r8
1.3.5-r8 < 1.3.5-r9
1.3.5-r9 > 1.0
1.0 < 1.1
1.1 > 0.9.11
0.9.11 < 0.9.12
0.9.12 < 0.9.13
0.9.13 < 0.9.14
0.9.14 < 0.9.15
0.9.15 < 0.9.16
0.9.16 > 0.3-r2
0.3-r2 < 6.3
6.3 < 6.6
6.6 < 6.9
6.9 > 0.7.2-r3
0.7.2-r3 < 1.2.10
1.2.10 < 20040923-r2
20040923-r2 > 20040401
20040401 > 2.0.0_rc3-r1
2.0.0_rc3-r1 > 1.5
1.5 < 4.4
4.4 > 1.0.1
1.0.1 < 2.2.0
2.2.0 > 1.1.0-r2
1.1.0-r2 > 0.3
0.3 < 20020207-r2
20020207-r2 > 1.31-r2
1.31-r2 < 3.7
3.7 > 2.0.1
2.0.1 < 2.0.2
2.0.2 > 0.99.163
0.99.163 < 2.6.15.20060110
2.6.15.20060110 < 2.6.16.20060323
2.6.16.20060323 < 2.6.19.20061214
2.6.19.20061214 > 0.6.2-r1
0.6.2-r1 < 0.6.3
0.6.3 < 0.6.5
0.6.5 < 1.3.5-r1
1.3.5-r1 < 1.3.5-r4
1.3.5-r4 < 3.0.0-r2
3.0.0-r2 < 021109-r3
021109-r3 < 20060512
20060512 > 1.24
1.24 > 0.9.16-r1
0.9.16-r1 < 3.9_pre20060124
3.9_pre20060124 > 0.01
0.01 < 0.06
0.06 < 1.1.7
1.1.7 < 6b-r7
6b-r7 > 1.12-r7
1.12-r7 < 1.12-r8
1.12-r8 > 1.1.12
1.1.12 < 1.1.13
1.1.13 > 0.3
0.3 < 0.5
0.5 < 3.96.1
3.96.1 < 3.97
3.97 > 0.10.0-r1
0.10.0-r1 > 0.10.0
0.10.0 < 0.10.1_rc1
0.10.1_rc1 > 0.9.11
0.9.11 < 394
394 > 2.31
2.31 > 1.0.1
1.0.1 = 1.0.1
1.0.1 < 1.0.3
1.0.3 > 1.0.2
1.0.2 = 1.0.2
1.0.2 > 1.0.1
1.0.1 = 1.0.1
1.0.1 < 1.2.2
1.2.2 < 2.1.10
2.1.10 > 1.0.1
1.0.1 < 1.0.2
1.0.2 < 3.5.5
3.5.5 > 1.1.1
1.1.1 > 0.9.1
0.9.1 < 1.0.2
1.0.2 > 1.0.1
1.0.1 < 1.0.2
1.0.2 > 1.0.1
1.0.1 = 1.0.1
1.0.1 < 1.0.5
1.0.5 > 0.8.5
0.8.5 < 0.8.6-r3
0.8.6-r3 < 2.3.17
2.3.17 > 1.10-r5
1.10-r5 < 1.10-r9
1.10-r9 < 2.0.2
2.0.2 > 1.1a
1.1a < 1.3a
1.3a > 1.0.2
1.0.2 < 1.2.2-r1
1.2.2-r1 > 1.0-r1
1.0-r1 > 0.15.1b
0.15.1b < 1.0.1
1.0.1 < 1.06-r1
1.06-r1 < 1.06-r2
1.06-r2 > 0.15.1b-r2
0.15.1b-r2 > 0.15.1b
0.15.1b < 2.5.7
2.5.7 > 1.1.2.1-r1
1.1.2.1-r1 > 0.0.31
0.0.31 < 0.0.50
0.0.50 > 0.0.16
0.0.16 < 0.0.25
0.0.25 < 0.17
0.17 > 0.5.0
0.5.0 < 1.1.2
1.1.2 < 1.1.3
1.1.3 < 1.1.20
1.1.20 > 0.9.4
0.9.4 < 0.9.5
0.9.5 < 6.3
6.3 < 6.6
6.6 > 6.3
6.3 < 6.6
6.6 > 1.2.12-r1
1.2.12-r1 < 1.2.13
1.2.13 < 1.2.14
1.2.14 < 1.2.15
1.2.15 < 8.0.12
8.0.12 > 8.0.9
8.0.9 > 1.2.3-r1
1.2.3-r1 < 1.2.4-r1
1.2.4-r1 > 0.1
0.1 < 0.3.5
0.3.5 < 1.5.22
1.5.22 > 0.1.11
0.1.11 < 0.1.12
0.1.12 < 1.1.4.1
1.1.4.1 > 1.1.0
1.1.0 < 1.1.2
1.1.2 > 1.0.3
1.0.3 > 1.0.2
1.0.2 < 2.6.26
2.6.26 < 2.6.27
2.6.27 > 1.1.17
1.1.17 < 1.4.11
1.4.11 < 22.7-r1
22.7-r1 < 22.7.3-r1
22.7.3-r1 > 22.7
22.7 > 2.1_pre20
2.1_pre20 < 2.1_pre26
2.1_pre26 > 0.2.3-r2
0.2.3-r2 > 0.2.2
0.2.2 < 2.10.0
2.10.0 < 2.10.1
2.10.1 > 02.08.01b
02.08.01b < 4.77
4.77 > 0.17
0.17 < 5.1.1-r1
5.1.1-r1 < 5.1.1-r2
5.1.1-r2 > 5.1.1
5.1.1 > 1.2
1.2 < 5.1
5.1 > 2.02.06
2.02.06 < 2.02.10
2.02.10 < 2.8.5-r3
2.8.5-r3 < 2.8.6-r1
2.8.6-r1 < 2.8.6-r2
2.8.6-r2 > 2.02-r1
2.02-r1 > 1.5.0-r1
1.5.0-r1 > 1.5.0
1.5.0 > 0.9.2
0.9.2 < 8.1.2.20040524-r1
8.1.2.20040524-r1 < 8.1.2.20050715-r1
8.1.2.20050715-r1 < 20030215
20030215 > 3.80-r4
3.80-r4 < 3.81
3.81 > 1.6d
1.6d > 1.2.07.8
1.2.07.8 < 1.2.12.04
1.2.12.04 < 1.2.12.05
1.2.12.05 < 1.3.3
1.3.3 < 2.6.4
2.6.4 > 2.5.2
2.5.2 < 2.6.1
2.6.1 > 2.6
2.6 < 6.5.1-r1
6.5.1-r1 > 1.1.35-r1
1.1.35-r1 < 1.1.35-r2
1.1.35-r2 > 0.9.2
0.9.2 < 1.07-r1
1.07-r1 < 1.07.5
1.07.5 > 1.07
1.07 < 1.19
1.19 < 2.1-r2
2.1-r2 < 2.2
2.2 > 1.0.4
1.0.4 < 20060811
20060811 < 20061003
20061003 > 0.1_pre20060810
0.1_pre20060810 < 0.1_pre20060817
0.1_pre20060817 < 1.0.3
1.0.3 > 1.0.2
1.0.2 > 1.0.1
1.0.1 < 3.2.2-r1
3.2.2-r1 < 3.2.2-r2
3.2.2-r2 < 3.3.17
3.3.17 > 0.59s-r11
0.59s-r11 < 0.65
0.65 > 0.2.10-r2
0.2.10-r2 < 2.01
2.01 < 3.9.10
3.9.10 > 1.2.18
1.2.18 < 1.5.11-r2
1.5.11-r2 < 1.5.13-r1
1.5.13-r1 > 1.3.12-r1
1.3.12-r1 < 2.0.1
2.0.1 < 2.0.2
2.0.2 < 2.0.3
2.0.3 > 0.2.0
0.2.0 < 5.5-r2
5.5-r2 < 5.5-r3
5.5-r3 > 0.25.3
0.25.3 < 0.26.1-r1
0.26.1-r1 < 5.2.1.2-r1
5.2.1.2-r1 < 5.4
5.4 > 1.60-r11
1.60-r11 < 1.60-r12
1.60-r12 < 110-r8
110-r8 > 0.17-r2
0.17-r2 < 1.05-r4
1.05-r4 < 5.28.0
5.28.0 > 0.51.6-r1
0.51.6-r1 < 1.0.6-r6
1.0.6-r6 > 0.8.3
0.8.3 < 1.42
1.42 < 20030719
20030719 > 4.01
4.01 < 4.20
4.20 > 0.20070118
0.20070118 < 0.20070207_rc1
0.20070207_rc1 < 1.0
1.0 < 1.13.0
1.13.0 < 1.13.1
1.13.1 > 0.21
0.21 > 0.3.7-r3
0.3.7-r3 < 0.4.10
0.4.10 < 0.5.0
0.5.0 < 0.5.5
0.5.5 < 0.5.7
0.5.7 < 0.6.11-r1
0.6.11-r1 < 2.3.30-r2
2.3.30-r2 < 3.7_p1
3.7_p1 > 1.3
1.3 > 0.10.1
0.10.1 < 4.3_p2-r1
4.3_p2-r1 < 4.3_p2-r5
4.3_p2-r5 < 4.4_p1-r6
4.4_p1-r6 < 4.5_p1-r1
4.5_p1-r1 > 4.5_p1
4.5_p1 < 4.5_p1-r1
4.5_p1-r1 > 4.5_p1
4.5_p1 > 0.9.8c-r1
0.9.8c-r1 < 0.9.8d
0.9.8d < 2.4.4
2.4.4 < 2.4.7
2.4.7 > 2.0.6
2.0.6 = 2.0.6
2.0.6 > 0.78-r3
0.78-r3 > 0.3.2
0.3.2 < 1.7.1-r1
1.7.1-r1 < 2.5.9
2.5.9 > 0.1.13
0.1.13 < 0.1.15
0.1.15 < 0.4
0.4 < 0.9.6
0.9.6 < 2.2.0-r1
2.2.0-r1 < 2.2.3-r2
2.2.3-r2 < 013
013 < 014-r1
014-r1 > 1.3.1-r1
1.3.1-r1 < 5.8.8-r2
5.8.8-r2 > 5.1.6-r4
5.1.6-r4 < 5.1.6-r6
5.1.6-r6 < 5.2.1-r3
5.2.1-r3 > 0.11.3
0.11.3 = 0.11.3
0.11.3 < 1.10.7
1.10.7 > 1.7-r1
1.7-r1 > 0.1.20
0.1.20 < 0.1.23
0.1.23 < 5b-r9
5b-r9 > 2.2.10
2.2.10 < 2.3.6
2.3.6 < 8.0.12
8.0.12 > 2.4.3-r16
2.4.3-r16 < 2.4.4-r4
2.4.4-r4 < 3.0.3-r5
3.0.3-r5 < 3.0.6
3.0.6 < 3.2.6
3.2.6 < 3.2.7
3.2.7 > 0.3.1_rc8
0.3.1_rc8 < 22.2
22.2 < 22.3
22.3 > 1.2.2
1.2.2 < 2.04
2.04 < 2.4.3-r1
2.4.3-r1 < 2.4.3-r4
2.4.3-r4 > 0.98.6-r1
0.98.6-r1 < 5.7-r2
5.7-r2 < 5.7-r3
5.7-r3 > 5.1_p4
5.1_p4 > 1.0.5
1.0.5 < 3.6.19-r1
3.6.19-r1 > 3.6.19
3.6.19 > 1.0.1
1.0.1 < 3.8
3.8 > 0.2.3
0.2.3 < 1.2.15-r3
1.2.15-r3 > 1.2.6-r1
1.2.6-r1 < 2.6.8-r2
2.6.8-r2 < 2.6.9-r1
2.6.9-r1 > 1.7
1.7 < 1.7b
1.7b < 1.8.4-r3
1.8.4-r3 < 1.8.5
1.8.5 < 1.8.5_p2
1.8.5_p2 > 1.1.3
1.1.3 < 3.0.22-r3
3.0.22-r3 < 3.0.24
3.0.24 = 3.0.24
3.0.24 = 3.0.24
3.0.24 < 4.0.2-r5
4.0.2-r5 < 4.0.3
4.0.3 > 0.98
0.98 < 1.00
1.00 < 4.1.4-r1
4.1.4-r1 < 4.1.5
4.1.5 > 2.3
2.3 < 2.17-r3
2.17-r3 > 0.1.7
0.1.7 < 1.11
1.11 < 4.2.1-r11
4.2.1-r11 > 3.2.3
3.2.3 < 3.2.4
3.2.4 < 3.2.8
3.2.8 < 3.2.9
3.2.9 > 3.2.3
3.2.3 < 3.2.4
3.2.4 < 3.2.8
3.2.8 < 3.2.9
3.2.9 > 1.4.9-r2
1.4.9-r2 < 2.9.11_pre20051101-r2
2.9.11_pre20051101-r2 < 2.9.11_pre20051101-r3
2.9.11_pre20051101-r3 > 2.9.11_pre20051101
2.9.11_pre20051101 < 2.9.11_pre20061021-r1
2.9.11_pre20061021-r1 < 2.9.11_pre20061021-r2
2.9.11_pre20061021-r2 < 5.36-r1
5.36-r1 > 1.0.1
1.0.1 < 7.0-r2
7.0-r2 > 2.4.5
2.4.5 < 2.6.1.2
2.6.1.2 < 2.6.1.3-r1
2.6.1.3-r1 > 2.6.1.3
2.6.1.3 < 2.6.1.3-r1
2.6.1.3-r1 < 12.17.9
12.17.9 > 1.1.12
1.1.12 > 1.1.7
1.1.7 < 2.5.14
2.5.14 < 2.6.6-r1
2.6.6-r1 < 2.6.7
2.6.7 < 2.6.9-r1
2.6.9-r1 > 2.6.9
2.6.9 > 1.39
1.39 > 0.9
0.9 < 2.61-r2
2.61-r2 < 4.5.14
4.5.14 > 4.09-r1
4.09-r1 > 1.3.1
1.3.1 < 1.3.2-r3
1.3.2-r3 < 1.6.8_p12-r1
1.6.8_p12-r1 > 1.6.8_p9-r2
1.6.8_p9-r2 > 1.3.0-r1
1.3.0-r1 < 3.11
3.11 < 3.20
3.20 > 1.6.11-r1
1.6.11-r1 > 1.6.9
1.6.9 < 5.0.5-r2
5.0.5-r2 > 2.86-r5
2.86-r5 < 2.86-r6
2.86-r6 > 1.15.1-r1
1.15.1-r1 < 8.4.9
8.4.9 > 7.6-r8
7.6-r8 > 3.9.4-r2
3.9.4-r2 < 3.9.4-r3
3.9.4-r3 < 3.9.5-r2
3.9.5-r2 > 1.1.9
1.1.9 > 1.0.6
1.0.6 < 5.9
5.9 < 6.5
6.5 > 0.40-r1
0.40-r1 < 2.25b-r5
2.25b-r5 < 2.25b-r6
2.25b-r6 > 1.0.4
1.0.4 < 1.0.5
1.0.5 < 1.4_p12-r2
1.4_p12-r2 < 1.4_p12-r5
1.4_p12-r5 > 1.1
1.1 > 0.2.0-r1
0.2.0-r1 < 0.2.1
0.2.1 < 0.9.28-r1
0.9.28-r1 < 0.9.28-r2
0.9.28-r2 < 0.9.28.1
0.9.28.1 > 0.9.28
0.9.28 < 0.9.28.1
0.9.28.1 < 087-r1
087-r1 < 103
103 < 104-r11
104-r11 > 104-r9
104-r9 > 1.23-r1
1.23-r1 > 1.23
1.23 < 1.23-r1
1.23-r1 > 1.0.2
1.0.2 < 5.52-r1
5.52-r1 > 1.2.5_rc2
1.2.5_rc2 > 0.1
0.1 < 0.71-r1
0.71-r1 < 20040406-r1
20040406-r1 > 2.12r-r4
2.12r-r4 < 2.12r-r5
2.12r-r5 > 0.0.7
0.0.7 < 1.0.3
1.0.3 < 1.8
1.8 < 7.0.17
7.0.17 < 7.0.174
7.0.174 > 7.0.17
7.0.17 < 7.0.174
7.0.174 > 1.0.1
1.0.1 < 1.1.1-r3
1.1.1-r3 > 0.3.4_pre20061029
0.3.4_pre20061029 < 0.4.0
0.4.0 > 0.1.2
0.1.2 < 1.10.2
1.10.2 < 2.16
2.16 < 28
28 > 0.99.4
0.99.4 < 1.13
1.13 > 1.0.1
1.0.1 < 1.1.2-r2
1.1.2-r2 > 1.1.0
1.1.0 < 1.1.1
1.1.1 = 1.1.1
1.1.1 > 0.6.0
0.6.0 < 6.6.3
6.6.3 > 1.1.1
1.1.1 > 1.1.0
1.1.0 = 1.1.0
1.1.0 > 0.2.0
0.2.0 < 0.3.0
0.3.0 < 1.1.1
1.1.1 < 1.2.0
1.2.0 > 1.1.0
1.1.0 < 1.6.5
1.6.5 > 1.1.0
1.1.0 < 1.4.2
1.4.2 > 1.1.1
1.1.1 < 2.8.1
2.8.1 > 1.2.0
1.2.0 < 4.1.0
4.1.0 > 0.4.1
0.4.1 < 1.9.1
1.9.1 < 2.1.1
2.1.1 > 1.4.1
1.4.1 > 0.9.1-r1
0.9.1-r1 > 0.8.1
0.8.1 < 1.2.1-r1
1.2.1-r1 > 1.1.0
1.1.0 < 1.2.1
1.2.1 > 1.1.0
1.1.0 > 0.1.1
0.1.1 < 1.2.1
1.2.1 < 4.1.0
4.1.0 > 0.2.1-r1
0.2.1-r1 < 1.1.0
1.1.0 < 2.7.11
2.7.11 > 1.0.2-r6
1.0.2-r6 > 1.0.2
1.0.2 > 0.8
0.8 < 1.1.1-r4
1.1.1-r4 < 222
222 > 1.0.1
1.0.1 < 1.2.12-r1
1.2.12-r1 > 1.2.8
1.2.8 < 1.2.9.1-r1
1.2.9.1-r1 > 1.2.9.1
1.2.9.1 < 2.31-r1
2.31-r1 > 2.31
2.31 > 1.2.3-r1
1.2.3-r1 > 1.2.3
1.2.3 < 4.2.5
4.2.5 < 4.3.2-r2
1.3-r0 < 1.3.1-r0
1.3_pre1-r1 < 1.3.2
1.0_p10-r0 > 1.0_p9-r0
0.1.0_alpha_pre2 < 0.1.0_alpha
1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
"#;

/// Lines of the table whose versions are invalid for apk-tools 2.x (version 3 orders invalid
/// versions as strings; 2.x rejects them, and so do we).
const INVALID_IN_TABLE: &[&str] = &["23_foo", "1.0bc"];

fn op(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "<",
        Ordering::Equal => "=",
        Ordering::Greater => ">",
    }
}

#[test]
fn apk_tools_version_table() {
    let mut checked = 0;
    let mut rejected = BTreeSet::new();
    for line in VERSION_DATA.lines() {
        let line = line.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let [a, expected, b] = f[..] else {
            panic!("bad table line {line:?}")
        };
        if let Some(bad) = [a, b].into_iter().find(|v| INVALID_IN_TABLE.contains(v)) {
            let e = apk::compare(a, b).unwrap_err();
            assert_eq!(e.input(), bad);
            rejected.insert(bad);
            continue;
        }
        let got = apk::compare(a, b).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(op(got), expected, "{a} {expected} {b}");
        assert_eq!(
            op(apk::compare(b, a).unwrap()),
            op(got.reverse()),
            "{b} vs {a}"
        );
        let (x, y): (ApkVersion, ApkVersion) = (a.parse().unwrap(), b.parse().unwrap());
        assert_eq!(x.cmp(&y), got);
        checked += 1;
    }
    assert_eq!(checked, 727, "table lines checked");
    assert_eq!(rejected.len(), INVALID_IN_TABLE.len());
}

#[test]
fn documented_rules() {
    let chains: &[&[&str]] = &[
        // the suffix order, around the release
        &[
            "1.0_alpha",
            "1.0_beta",
            "1.0_pre",
            "1.0_rc",
            "1.0",
            "1.0_p1",
        ],
        &[
            "1.0_alpha",
            "1.0_alpha1",
            "1.0_alpha2",
            "1.0_alpha10",
            "1.0_beta",
        ],
        &[
            "1.0_rc9", "1.0", "1.0_cvs", "1.0_svn", "1.0_git", "1.0_hg", "1.0_p", "1.0_p1",
        ],
        // revisions
        &[
            "1.0",
            "1.0-r0",
            "1.0-r1",
            "1.0-r2",
            "1.0-r10",
            "1.0_p1-r0",
            "1.0a-r0",
            "1.0.1-r0",
        ],
        &["1.0_rc1-r5", "1.0-r0"],
        // a letter after the numbers
        &["1.0", "1.0a", "1.0b", "1.0z", "1.0.0"],
        // leading zeros after a dot compare as strings (fractions); the first number doesn't
        &[
            "1.0", "1.00", "1.001", "1.01", "1.010", "1.09", "1.1", "1.10",
        ],
        &["1.05", "1.1", "1.5"],
        &["5", "006", "7"],
        // long numbers stay exact
        &[
            "1.0_p20191002222144",
            "1.0_p20210530193627",
            "1.0_p99999999999999999999999",
        ],
        &["1.99999999999999999999", "1.100000000000000000000"],
    ];
    for chain in chains {
        for w in chain.windows(2) {
            assert_eq!(
                apk::compare(w[0], w[1]).unwrap(),
                Ordering::Less,
                "{} < {}",
                w[0],
                w[1]
            );
            assert_eq!(
                apk::compare(w[1], w[0]).unwrap(),
                Ordering::Greater,
                "{} > {}",
                w[1],
                w[0]
            );
        }
    }
    for (a, b) in [
        ("006", "6"),
        ("1.0-r", "1.0-r0"),
        ("1.0_p01", "1.0_p1"),
        ("1.0-r007", "1.0-r7"),
    ] {
        assert_eq!(
            Scheme::Apk.compare(a, b).unwrap(),
            Ordering::Equal,
            "{a} = {b}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// The real Alpine secdb

/// Files under `dir` (recursively) whose name ends with `ext`, sorted.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(ext) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// `release/repo` of a secdb file, e.g. `v3.9/main`.
fn file_key(path: &Path) -> String {
    let release = path
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy();
    let repo = path.file_stem().unwrap().to_string_lossy();
    format!("{release}/{repo}")
}

type Secfixes = BTreeMap<String, Vec<(String, Vec<String>)>>;

/// file key → [(package, fixed versions)] from the secdb JSON files.
fn secdb_json() -> Secfixes {
    let dir = drydock_testkit::shared_dir().join("feeds/alpine-secdb");
    let mut out = Secfixes::new();
    for path in files(&dir, ".json") {
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut pkgs = Vec::new();
        for p in doc["packages"].as_array().into_iter().flatten() {
            let name = p["pkg"]["name"].as_str().unwrap().to_string();
            let versions = p["pkg"]["secfixes"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            pkgs.push((name, versions));
        }
        out.insert(file_key(&path), pkgs);
    }
    out
}

/// The same from the legacy YAML files, keeping the order in which the versions are written.
/// A minimal line reader for this one schema (`- pkg:` / `name:` / `secfixes:` / `version:`
/// keys / `- CVE` items); checked against the JSON conversion in `yaml_matches_json`.
fn secdb_yaml() -> Secfixes {
    let dir = drydock_testkit::shared_dir().join("feeds/alpine-secdb-legacy");
    let mut out = Secfixes::new();
    for path in files(&dir, ".yaml") {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut pkgs: Vec<(String, Vec<String>)> = Vec::new();
        // (indent of `secfixes:`, indent of its keys once known)
        let mut secfixes: Option<(usize, Option<usize>)> = None;
        for raw in text.lines() {
            let line = raw.trim_end();
            let content = line.trim_start();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let indent = line.len() - content.len();
            if let Some((sf_indent, key_indent)) = secfixes {
                if indent <= sf_indent {
                    secfixes = None;
                } else {
                    let key_indent = key_indent.unwrap_or(indent);
                    secfixes = Some((sf_indent, Some(key_indent)));
                    // list items may sit at the keys' indent ("key:\n- CVE")
                    if indent == key_indent && !content.starts_with('-') {
                        let key = content.strip_suffix(':').unwrap_or_else(|| {
                            panic!("{}: unexpected line {raw:?}", path.display())
                        });
                        let key = key.trim().trim_matches('"').trim_matches('\'');
                        pkgs.last_mut().unwrap().1.push(key.to_string());
                    }
                    continue;
                }
            }
            let content = content.strip_prefix("- ").unwrap_or(content);
            if let Some(name) = content.strip_prefix("name:") {
                pkgs.push((name.trim().to_string(), Vec::new()));
            } else if content.split('#').next().unwrap().trim() == "secfixes:" {
                secfixes = Some((indent, None));
            }
        }
        out.insert(file_key(&path), pkgs);
    }
    out
}

#[test]
fn yaml_matches_json() {
    let json = secdb_json();
    let yaml = secdb_yaml();
    assert_eq!(yaml.len(), 18, "legacy YAML files");
    let sorted = |pkgs: &Vec<(String, Vec<String>)>| {
        let mut all: Vec<(String, String)> = pkgs
            .iter()
            .flat_map(|(p, vs)| vs.iter().map(move |v| (p.clone(), v.clone())))
            .collect();
        all.sort();
        all
    };
    let mut total = 0;
    for (key, pkgs) in &yaml {
        let from_yaml = sorted(pkgs);
        assert_eq!(from_yaml, sorted(&json[key]), "{key}");
        total += from_yaml.len();
    }
    assert_eq!(total, 4265, "fixed versions in the legacy YAML");
}

/// Real secdb versions that are invalid for apk, with why. (apk-tools itself would reject
/// them; they are typos in the published data, e.g. `.r2` for `-r2`.)
const INVALID_IN_SECDB: &[(&str, &str)] = &[
    ("0.8.21.r2", "'.r' for '-r': a digit after the letter 'r'"),
    ("1.11-20-r0", "'-20': '-' not starting the revision"),
    ("10.2.22.r0", "'.r' for '-r': a digit after the letter 'r'"),
    ("10.2.24.r0", "'.r' for '-r': a digit after the letter 'r'"),
    ("10.2.26.r0", "'.r' for '-r': a digit after the letter 'r'"),
    ("2.7.16-33", "'-33': a Debian-style revision"),
    ("4.10-1-r1", "'-1': '-' not starting the revision"),
    ("57-1-r2", "'-1': '-' not starting the revision"),
    ("6.6.2p1-r0", "'p1' for '_p1': a digit after a letter"),
];

#[test]
fn every_secdb_version_parses() {
    let mut all = BTreeSet::new();
    for pkgs in secdb_json().values().chain(secdb_yaml().values()) {
        for (_, versions) in pkgs {
            all.extend(versions.iter().cloned());
        }
    }
    assert!(
        all.len() > 1400,
        "only {} distinct secdb versions",
        all.len()
    );
    let mut invalid = Vec::new();
    for v in &all {
        match ApkVersion::parse(v) {
            Ok(parsed) => {
                assert_eq!(parsed.as_str(), v);
                assert_eq!(parsed.cmp(&parsed), Ordering::Equal);
            }
            Err(e) => {
                assert_eq!(e.input(), v);
                invalid.push(v.as_str());
            }
        }
    }
    let expected: Vec<&str> = INVALID_IN_SECDB.iter().map(|(v, _)| *v).collect();
    assert_eq!(invalid, expected);
    // "0" is the secdb's "never affected" marker, and a valid version.
    assert!(all.contains("0"));
    ApkVersion::parse("0").unwrap();
}

/// Independent oracle for the commonest real shape, `N(.N)*-rN` without leading zeros:
/// numbers compared as integer tuples, then the revision.
fn plain_key(v: &str) -> Option<(Vec<u64>, u64)> {
    let (main, rev) = v.split_once("-r")?;
    let num = |s: &str| -> Option<u64> {
        let ok = !s.is_empty()
            && s.bytes().all(|c| c.is_ascii_digit())
            && (s == "0" || !s.starts_with('0'));
        if ok { s.parse().ok() } else { None }
    };
    let parts: Option<Vec<u64>> = main.split('.').map(num).collect();
    Some((parts?, num(rev)?))
}

#[test]
fn secdb_order() {
    // 1. Within each package, every pair of plain versions orders as integer tuples.
    let mut plain_pairs = 0;
    for pkgs in secdb_json().values() {
        for (pkg, versions) in pkgs {
            let plain: Vec<(&String, (Vec<u64>, u64))> = versions
                .iter()
                .filter_map(|v| Some((v, plain_key(v)?)))
                .collect();
            for (a, ka) in &plain {
                for (b, kb) in &plain {
                    let got = apk::compare(a, b).unwrap();
                    assert_eq!(got, ka.cmp(kb), "{pkg}: {a} vs {b}");
                    plain_pairs += 1;
                }
            }
        }
    }
    assert!(plain_pairs > 20_000, "{plain_pairs} plain pairs");

    // 2. The YAML lists are written by hand, mostly newest first. Where a list's plain
    //    versions are in a strict order, that order is the file's: the whole list, suffixes
    //    and letters included, must then be in that order by apk's rules too. Two lists are
    //    not, because of typos in the data that apk reads differently from what was meant.
    let known_typos: BTreeMap<&str, &str> = BTreeMap::from([
        // "1.18.-r2" (meant 1.18-r2): an empty component after the dot sorts above "1.18-r3"
        ("v3.5/main wget", "1.18.-r2"),
        // "2.15.r-r1": an empty component then the letter r, below 2.15.3 (meant 2.15.x-r1)
        ("v3.7/main git", "2.15.r-r1"),
    ]);
    let mut implied = 0;
    let mut mixed = Vec::new();
    for (key, pkgs) in secdb_yaml() {
        for (pkg, versions) in pkgs {
            let versions: Vec<&String> = versions
                .iter()
                .filter(|v| *v != "0" && ApkVersion::parse(v).is_ok())
                .collect();
            let plain: Vec<(Vec<u64>, u64)> =
                versions.iter().filter_map(|v| plain_key(v)).collect();
            if plain.len() == versions.len() || plain.len() < 2 {
                continue; // all plain (checked above) or no order implied
            }
            let dirs: BTreeSet<Ordering> = plain.windows(2).map(|w| w[0].cmp(&w[1])).collect();
            let [dir] = dirs.into_iter().collect::<Vec<_>>()[..] else {
                continue; // the plain versions are not in one order: none is implied
            };
            if dir == Ordering::Equal {
                continue;
            }
            implied += 1;
            let ours: BTreeSet<Ordering> = versions
                .windows(2)
                .map(|w| apk::compare(w[0], w[1]).unwrap())
                .collect();
            if ours != BTreeSet::from([dir]) {
                mixed.push(format!("{key} {pkg}"));
            }
        }
    }
    assert!(implied >= 25, "only {implied} lists with an implied order");
    let typo_lists: Vec<String> = known_typos.keys().map(|k| k.to_string()).collect();
    assert_eq!(mixed, typo_lists);
    for (list, typo) in known_typos {
        let (key, pkg) = list.split_once(' ').unwrap();
        let versions = &secdb_yaml()[key];
        assert!(
            versions
                .iter()
                .any(|(p, vs)| p == pkg && vs.iter().any(|v| v == typo))
        );
    }
}

// ---------------------------------------------------------------------------------------
// Grammar and properties

const SUFFIXES: &[&str] = &[
    "alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p",
];

/// The documented grammar, written independently of the tokenizer:
/// `number *("." [number]) [letter] *("_" suffix [number]) ["-r" [number]]`.
fn grammar_valid(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if digits(&mut i) == 0 {
        return false;
    }
    while i < b.len() && b[i] == b'.' {
        i += 1;
        digits(&mut i);
    }
    if i < b.len() && b[i].is_ascii_lowercase() {
        i += 1;
    }
    while i < b.len() && b[i] == b'_' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_lowercase() {
            i += 1;
        }
        if !SUFFIXES.contains(&&s[start..i]) {
            return false;
        }
        digits(&mut i);
    }
    if s[i..].starts_with("-r") {
        i += 2;
        digits(&mut i);
    }
    i == b.len()
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[1-9][0-9]{0,2}",
        2 => "0[0-9]{0,2}",
        1 => "[1-9][0-9]{19,30}",
        1 => Just(String::new()),
    ]
}

/// Valid versions, built from the grammar.
fn valid_version() -> impl Strategy<Value = String> {
    (
        "[0-9]{1,3}",
        prop::collection::vec(number(), 0..4),
        prop::option::weighted(0.3, "[a-z]"),
        prop::collection::vec(
            (prop::sample::select(SUFFIXES), prop::option::of(number())),
            0..3,
        ),
        prop::option::weighted(0.6, number()),
    )
        .prop_map(|(first, dots, letter, suffixes, rev)| {
            let mut s = first;
            for d in dots {
                s.push('.');
                s.push_str(&d);
            }
            s.extend(letter);
            for (name, n) in suffixes {
                s.push('_');
                s.push_str(name);
                // a number must not be empty here: "_" + "" + "" is fine, but keep the
                // suffix number visible when present
                s.push_str(&n.unwrap_or_default());
            }
            if let Some(r) = rev {
                s.push_str("-r");
                s.push_str(&r);
            }
            s
        })
}

fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        ".", "_", "-r", "-", "0", "1", "12", "a", "p", "r", "z", "A", "alpha", "rc", "pre", "git",
        "foo", "~", " ", "é",
    ])
}

/// Near-valid strings: the right characters in any order, and valid versions with a piece
/// inserted anywhere.
fn near_version() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(piece(), 0..8).prop_map(|v| v.concat()),
        (valid_version(), piece(), any::<prop::sample::Index>()).prop_map(|(v, p, at)| {
            let at = at.index(v.len() + 1);
            format!("{}{p}{}", &v[..at], &v[at..])
        }),
    ]
}

proptest! {
    #![proptest_config(Config { cases: 3000, ..Config::default() })]

    #[test]
    fn validity_matches_grammar(s in prop_oneof![valid_version(), near_version()]) {
        prop_assert_eq!(ApkVersion::parse(&s).is_ok(), grammar_valid(&s), "{:?}", s);
    }

    /// A total order: antisymmetric and transitive, equal strings equal.
    #[test]
    fn total_order(a in valid_version(), b in valid_version(), c in valid_version()) {
        let (x, y, z): (ApkVersion, ApkVersion, ApkVersion) =
            (a.parse().unwrap(), b.parse().unwrap(), c.parse().unwrap());
        prop_assert_eq!(apk::compare(&a, &a).unwrap(), Ordering::Equal);
        prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
        prop_assert_eq!(apk::compare(&a, &b).unwrap(), x.cmp(&y));
        let mut v = [&x, &y, &z];
        v.sort();
        prop_assert!(v[0] <= v[1] && v[1] <= v[2] && v[0] <= v[2], "{} {} {}", v[0], v[1], v[2]);
        if x == y && y == z {
            prop_assert_eq!(x.cmp(&z), Ordering::Equal);
        }
    }

    /// `-rN` orders by N, and any revision is above none.
    #[test]
    fn revisions(base in valid_version(), n in 0u64..1000, m in 0u64..1000) {
        let base = base.split("-r").next().unwrap().to_string();
        let (vn, vm) = (format!("{base}-r{n}"), format!("{base}-r{m}"));
        prop_assert_eq!(apk::compare(&vn, &vm).unwrap(), n.cmp(&m));
        prop_assert_eq!(apk::compare(&base, &vn).unwrap(), Ordering::Less);
    }

    /// `_alpha < _beta < _pre < _rc < (release) < _p1` after any base.
    #[test]
    fn suffixes(base in valid_version(), n in 0u64..100) {
        let base = base.split("-r").next().unwrap().to_string();
        let chain: Vec<String> = ["_alpha", "_beta", "_pre", "_rc", "", "_p1"]
            .iter()
            .map(|s| format!("{base}{s}"))
            .collect();
        for w in chain.windows(2) {
            prop_assert_eq!(apk::compare(&w[0], &w[1]).unwrap(), Ordering::Less, "{} < {}", w[0], w[1]);
        }
        let (rc, rc1) = (format!("{base}_rc{n}"), format!("{base}_rc{}", n + 1));
        prop_assert_eq!(apk::compare(&rc, &rc1).unwrap(), Ordering::Less);
        prop_assert_eq!(apk::compare(&rc1, &base).unwrap(), Ordering::Less);
    }

    /// Anything at all: an answer or an error, never a panic.
    #[test]
    fn hostile_strings(a in any::<String>(), b in "\\PC{0,40}") {
        for (x, y) in [(&a, &b), (&b, &a), (&a, &a)] {
            if let Ok(o) = apk::compare(x, y) {
                prop_assert_eq!(apk::compare(y, x).unwrap(), o.reverse());
            }
        }
    }
}

#[test]
fn huge_inputs_are_fast_and_exact() {
    let start = Instant::now();
    let n = 1_000_000;
    let nines = format!("1.{}", "9".repeat(n));
    let ten = format!("1.1{}", "0".repeat(n));
    assert_eq!(apk::compare(&nines, &ten).unwrap(), Ordering::Less);
    let first = "9".repeat(n);
    assert_eq!(
        apk::compare(&first, &format!("1{}", "0".repeat(n))).unwrap(),
        Ordering::Less
    );
    let dots = "1.".repeat(n / 2);
    assert_eq!(apk::compare(&dots, &dots).unwrap(), Ordering::Equal);
    let suffixes = format!("1{}", "_p1".repeat(n / 3));
    assert_eq!(apk::compare(&suffixes, "1_p1").unwrap(), Ordering::Greater);
    let bad = format!("{}X", "1".repeat(n));
    let e = apk::compare(&bad, "1").unwrap_err();
    assert!(e.is_truncated() && e.input().len() <= 200);
    assert!(apk::compare("", "1").is_err());
    assert!(start.elapsed().as_secs() < 10, "took {:?}", start.elapsed());
}
