# Independent R computation of the statistics checked by tests/test_against_r.py.
#
# Usage:
#   python tests/r_reference/make_study.py DIR
#   Rscript tests/r_reference/reference.R DIR tests/r_reference/expected
#
# Reads the RAW study (study.yml, codebook/items.csv + scales.csv, the wave
# exports), never impactlib's outputs, and writes to the output folder:
#   item_change.csv, reliability.csv, rci.csv, dimension_model.csv, power.csv
#   inputs.md5   (md5 of every input file: the test checks the generator did not drift)
#   versions.txt (R and package versions used)
# Numbers are written with 15 significant digits; NA is an empty cell.
#
# Definitions (as documented in impactlib's docstrings, computed here with R's
# own functions wherever R has one):
#   * answers: a label of the scale -> its value, a missing-value label or an
#     empty cell -> NA; reverse items recoded min + max - value;
#   * dimension score: mean of the answered recoded items when at least
#     min_items_answered of the dimension's items are answered;
#   * item_change: pairs = candidates with a value at both waves;
#     wilcox.test(to, from, paired = TRUE, exact = FALSE, correct = TRUE);
#     p.adjust(BH) over the items of one wave pair; matched-pairs rank-biserial
#     (R+ - R-) / (R+ + R-) with zero differences dropped;
#     t.test(to, from, paired = TRUE)$conf.int;
#   * reliability: Cronbach's alpha on the candidates who answered every item
#     of the dimension at the wave (checked against psych::alpha), Feldt CI
#     1 - (1 - alpha) qf(1 - g/2 | g/2, n - 1, (n - 1)(k - 1)),
#     omega total = psych::omega(x, nfactors = 1)$omega.tot;
#   * rci: Jacobson-Truax, SE = SD_from sqrt(2) sqrt(1 - alpha_from), SD_from over
#     every candidate scored at the from-wave, alpha_from the alpha above;
#   * dimension_model: lmerTest::lmer(score ~ wave + (1 | candidate), REML = TRUE)
#     (lme4's fit) on every non-missing score (bobyqa, rhoend 1e-12), one row per
#     wave pair (T1>T2, T1>T3, T2>T3) from the one fit: contrast L of the wave
#     effects, estimate L'beta, standard error sqrt(L' vcov() L), Wald interval
#     (confint(method = "Wald") for a pair with the first wave) and Wald z p-value,
#     and contest(fit, L, joint = FALSE, ddf = "Satterthwaite") for the
#     Satterthwaite df and t-test p-value (Kuznetsova et al. 2017);
#   * power: power.t.test(type = "paired") (strict = FALSE) solved to tol 1e-12.

suppressPackageStartupMessages({
  library(yaml)
  library(lme4)
  library(lmerTest)
  library(psych)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) stop("usage: Rscript reference.R STUDY_DIR OUT_DIR")
study_dir <- normalizePath(args[1], mustWork = TRUE)
out_dir <- args[2]
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

study <- yaml::read_yaml(file.path(study_dir, "study.yml"))
min_share <- if (is.null(study$min_items_answered)) 0.5 else study$min_items_answered
wave_keys <- vapply(study$waves, function(w) w$key, "")

read_csv_utf8 <- function(path, sep) {
  x <- read.table(path, header = TRUE, sep = sep, quote = "\"", colClasses = "character",
                  na.strings = character(0), check.names = FALSE, encoding = "UTF-8",
                  fileEncoding = "UTF-8", comment.char = "", strip.white = FALSE)
  x
}
fold <- function(s) tolower(gsub("\\s+", " ", trimws(s)))

# ---------------------------------------------------------------- codebook
codebook_dir <- file.path(study_dir, study$codebook)
items <- read_csv_utf8(file.path(codebook_dir, "items.csv"), ",")
scales <- read_csv_utf8(file.path(codebook_dir, "scales.csv"), ",")
items$reverse <- fold(items$reverse) %in% c("oui", "yes", "true", "vrai", "1")
scales$num <- suppressWarnings(as.integer(scales$value))
dims <- unique(items$dimension)
item_codes <- items$item
k_of <- table(items$dimension)

decode <- function(cells, scale) {
  sc <- scales[scales$scale == scale, ]
  answered <- sc[!is.na(sc$num), ]
  key <- fold(cells)
  v <- answered$num[match(key, fold(answered$label))]
  as_code <- suppressWarnings(as.integer(ifelse(grepl("^[0-9]+$", key), key, NA)))
  v[is.na(v) & as_code %in% answered$num] <- as_code[is.na(v) & as_code %in% answered$num]
  v  # empty cell, missing-value label, anything else -> NA
}

# ---------------------------------------------------------------- exports
# values[[wave]]: candidate x item matrix of recoded values (NA = not answered)
values <- list()
for (w in study$waves) {
  sep <- if (grepl("\\.tsv$", w$file)) "\t" else ";"
  raw <- read_csv_utf8(file.path(study_dir, w$file), sep)
  ids <- fold(raw[[study$id_column]])
  if (anyDuplicated(ids) || any(ids == "")) stop("this script expects one row per candidate: ", w$file)
  m <- matrix(NA_real_, nrow(raw), length(item_codes), dimnames = list(ids, item_codes))
  for (j in seq_along(item_codes)) {
    it <- items[j, ]
    v <- decode(raw[[it$item]], it$scale)
    sc <- scales$num[scales$scale == it$scale & !is.na(scales$num)]
    if (it$reverse) v <- min(sc) + max(sc) - v
    m[, j] <- v
  }
  if (any(rowSums(!is.na(m)) == 0)) stop("a row without any answer: ", w$file)
  values[[w$key]] <- m
}

# ---------------------------------------------------------------- scores
# scores[[wave]]: candidate x dimension matrix
scores <- lapply(values, function(m) {
  sapply(dims, function(d) {
    x <- m[, items$item[items$dimension == d], drop = FALSE]
    n_ans <- rowSums(!is.na(x))
    s <- rowMeans(x, na.rm = TRUE)
    s[n_ans < min_share * ncol(x) - 1e-9 | n_ans == 0] <- NA
    s
  })
})

pairs <- combn(wave_keys, 2, simplify = FALSE)

# ---------------------------------------------------------------- item_change
ic_rows <- list()
for (pr in pairs) {
  A <- values[[pr[1]]]; B <- values[[pr[2]]]
  common <- intersect(rownames(A), rownames(B))
  block <- list()
  for (it in item_codes) {
    x <- A[common, it]; y <- B[common, it]
    ok <- !is.na(x) & !is.na(y)
    x <- x[ok]; y <- y[ok]; d <- y - x
    n <- length(d)
    r <- data.frame(item = it, dimension = items$dimension[items$item == it],
                    from_wave = pr[1], to_wave = pr[2], n_pairs = n,
                    mean_from = mean(x), mean_to = mean(y), mean_diff = mean(d), sd_diff = sd(d),
                    n_improved = sum(d > 0), n_stable = sum(d == 0), n_worsened = sum(d < 0),
                    pct_improved = 100 * mean(d > 0), pct_stable = 100 * mean(d == 0),
                    pct_worsened = 100 * mean(d < 0), n_nonzero = sum(d != 0),
                    statistic = NA_real_, p_value = NA_real_, effect_size = NA_real_,
                    ci_low = NA_real_, ci_high = NA_real_, stringsAsFactors = FALSE)
    if (n >= 2 && any(d != 0)) {
      wt <- wilcox.test(y, x, paired = TRUE, exact = FALSE, correct = TRUE)
      r$statistic <- unname(wt$statistic)
      r$p_value <- wt$p.value
      nz <- d[d != 0]
      rk <- rank(abs(nz))
      r_plus <- sum(rk[nz > 0]); r_minus <- sum(rk[nz < 0])
      r$effect_size <- (r_plus - r_minus) / (r_plus + r_minus)
      stopifnot(abs(r_plus - r$statistic) < 1e-9)
    }
    if (n >= 2 && sd(d) > 0) {
      ci <- t.test(y, x, paired = TRUE, conf.level = 0.95)$conf.int
      r$ci_low <- ci[1]; r$ci_high <- ci[2]
    }
    block[[it]] <- r
  }
  block <- do.call(rbind, block)
  block$p_adjusted <- p.adjust(block$p_value, method = "BH")
  ic_rows[[paste(pr, collapse = ">")]] <- block
}
item_change <- do.call(rbind, ic_rows)
item_change <- item_change[, c("item", "dimension", "from_wave", "to_wave", "n_pairs", "mean_from",
                               "mean_to", "mean_diff", "sd_diff", "n_improved", "n_stable",
                               "n_worsened", "pct_improved", "pct_stable", "pct_worsened",
                               "n_nonzero", "statistic", "p_value", "p_adjusted", "effect_size",
                               "ci_low", "ci_high")]

# ---------------------------------------------------------------- reliability
rel_rows <- list()
alpha_of <- list()
for (d in dims) {
  for (w in wave_keys) {
    x <- values[[w]][, items$item[items$dimension == d], drop = FALSE]
    x <- x[complete.cases(x), , drop = FALSE]
    n <- nrow(x); k <- ncol(x)
    C <- cov(x)
    a <- k / (k - 1) * (1 - sum(diag(C)) / sum(C))
    pa <- suppressWarnings(psych::alpha(x, check.keys = FALSE, warnings = FALSE))$total$raw_alpha
    stopifnot(abs(pa - a) < 1e-12)
    df1 <- n - 1; df2 <- (n - 1) * (k - 1)
    om <- suppressWarnings(suppressMessages(
      psych::omega(x, nfactors = 1, plot = FALSE)))
    fa1 <- suppressWarnings(suppressMessages(psych::fa(x, nfactors = 1, fm = "minres")))
    rel_rows[[paste(d, w)]] <- data.frame(
      dimension = d, wave = w, n = n, n_items = k, alpha = a,
      ci_low = 1 - (1 - a) * qf(0.975, df1, df2), ci_high = 1 - (1 - a) * qf(0.025, df1, df2),
      omega = om$omega.tot, heywood = any(fa1$uniquenesses <= 0.005 * (1 + 1e-6)),
      stringsAsFactors = FALSE)
    alpha_of[[paste(d, w)]] <- a
  }
}
reliability <- do.call(rbind, rel_rows)

# ---------------------------------------------------------------- rci
rci_rows <- list()
for (d in dims) {
  for (pr in pairs) {
    s_from <- scores[[pr[1]]][, d]; s_to <- scores[[pr[2]]][, d]
    sd_from <- sd(s_from, na.rm = TRUE)
    alpha_from <- alpha_of[[paste(d, pr[1])]]
    se <- sd_from * sqrt(2) * sqrt(1 - alpha_from)
    common <- intersect(names(s_from)[!is.na(s_from)], names(s_to)[!is.na(s_to)])
    rci <- (s_to[common] - s_from[common]) / se
    rci_rows[[paste(d, pr[1], pr[2])]] <- data.frame(
      dimension = d, from_wave = pr[1], to_wave = pr[2], n = length(common),
      pct_reliable_improvement = 100 * mean(rci > 1.96),
      pct_no_reliable_change = 100 * mean(abs(rci) <= 1.96),
      pct_reliable_deterioration = 100 * mean(rci < -1.96),
      se_diff = se, sd_from = sd_from, alpha_from = alpha_from, stringsAsFactors = FALSE)
  }
}
rci <- do.call(rbind, rci_rows)

# ---------------------------------------------------------------- dimension_model
dm_rows <- list()
for (d in dims) {
  long <- do.call(rbind, lapply(wave_keys, function(w) {
    s <- scores[[w]][, d]
    data.frame(candidate = names(s), wave = w, score = unname(s), stringsAsFactors = FALSE)
  }))
  long <- long[!is.na(long$score), ]
  long$wave <- factor(long$wave, levels = wave_keys)
  # lme4's default optimizer, with a tighter stopping rule so that the reference
  # sits on the REML optimum (the default stops about 1e-7 away). lmerTest::lmer
  # is lme4::lmer plus what the Satterthwaite df need.
  fit <- lmerTest::lmer(score ~ wave + (1 | candidate), data = long, REML = TRUE,
                        control = lme4::lmerControl(optimizer = "bobyqa",
                                                    optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
  est <- lme4::fixef(fit)
  V <- as.matrix(vcov(fit))
  ci <- confint(fit, method = "Wald", level = 0.95)
  vc <- as.data.frame(lme4::VarCorr(fit))
  se <- sqrt(diag(V))
  for (pr in pairs) {
    L <- setNames(numeric(length(est)), names(est))
    L[paste0("wave", pr[2])] <- 1
    if (pr[1] != wave_keys[1]) L[paste0("wave", pr[1])] <- -1
    if (pr[1] == wave_keys[1]) {  # a coefficient of the fit: lme4's own numbers
      term <- paste0("wave", pr[2])
      e <- est[[term]]; s_l <- se[[term]]; lo <- ci[term, 1]; hi <- ci[term, 2]
    } else {                      # a difference of two coefficients
      e <- sum(L * est); s_l <- sqrt(drop(t(L) %*% V %*% L))
      lo <- e - qnorm(0.975) * s_l; hi <- e + qnorm(0.975) * s_l
    }
    ct <- lmerTest::contest(fit, L, joint = FALSE, ddf = "Satterthwaite")
    stopifnot(abs(ct$Estimate - e) < 1e-12, abs(ct[["Std. Error"]] - s_l) < 1e-12)
    dm_rows[[paste(d, pr[1], pr[2])]] <- data.frame(
      dimension = d, term = paste(pr[2], "vs", pr[1]), from_wave = pr[1], to_wave = pr[2],
      estimate = e, se = s_l, ci_low = lo, ci_high = hi, p_value = 2 * pnorm(-abs(e / s_l)),
      df_satterthwaite = ct$df, p_satterthwaite = ct[["Pr(>|t|)"]],
      n_candidates = length(unique(long$candidate)), n_observations = nrow(long),
      var_candidate = vc$vcov[vc$grp == "candidate"], var_residual = vc$vcov[vc$grp == "Residual"],
      singular = lme4::isSingular(fit), stringsAsFactors = FALSE)
  }
}
dimension_model <- do.call(rbind, dm_rows)

# ---------------------------------------------------------------- power
present <- lapply(values, rownames)
first <- present[[wave_keys[1]]]
effects <- c(0.2, 0.3, 0.5)
n_for <- sapply(effects, function(e)
  ceiling(power.t.test(delta = e, sd = 1, sig.level = 0.05, power = 0.8, type = "paired",
                       tol = 1e-12)$n))
pw_rows <- list()
for (pr in pairs) {
  both <- intersect(present[[pr[1]]], present[[pr[2]]])
  n <- length(both)
  kept <- length(intersect(both, first))
  r <- data.frame(from_wave = pr[1], to_wave = pr[2], n_pairs = n, n_first_wave = length(first),
                  retention = kept / length(first),
                  mdes = power.t.test(n = n, sd = 1, sig.level = 0.05, power = 0.8, type = "paired",
                                      tol = 1e-12)$delta, stringsAsFactors = FALSE)
  for (i in seq_along(effects)) r[[paste0("n_for_d_", effects[i])]] <- n_for[i]
  for (i in seq_along(effects))
    r[[paste0("entrants_for_d_", effects[i])]] <- ceiling(n_for[i] * length(first) / kept)
  pw_rows[[paste(pr, collapse = ">")]] <- r
}
power <- do.call(rbind, pw_rows)

# ---------------------------------------------------------------- write
write_table <- function(df, name) {
  for (col in names(df)) {
    x <- df[[col]]
    if (is.logical(x)) {
      df[[col]] <- ifelse(is.na(x), "", ifelse(x, "True", "False"))
    } else if (is.numeric(x)) {
      df[[col]] <- ifelse(is.na(x), "", sprintf("%.15g", x))
    }
  }
  write.csv(df, file.path(out_dir, paste0(name, ".csv")), row.names = FALSE, na = "",
            fileEncoding = "UTF-8", quote = TRUE)
}
write_table(item_change, "item_change")
write_table(reliability, "reliability")
write_table(rci, "rci")
write_table(dimension_model, "dimension_model")
write_table(power, "power")

inputs <- c("study.yml", file.path(study$codebook, c("items.csv", "scales.csv")),
            vapply(study$waves, function(w) w$file, ""))
md5 <- unname(tools::md5sum(file.path(study_dir, inputs)))
writeLines(paste(md5, inputs, sep = "  "), file.path(out_dir, "inputs.md5"))
writeLines(c(R.version.string,
             paste("lme4", as.character(packageVersion("lme4"))),
             paste("lmerTest", as.character(packageVersion("lmerTest"))),
             paste("numDeriv", as.character(packageVersion("numDeriv"))),
             paste("psych", as.character(packageVersion("psych")))),
           file.path(out_dir, "versions.txt"))
cat("written to", normalizePath(out_dir), "\n")
