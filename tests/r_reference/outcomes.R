# Reference values for tests/test_outcomes.py (impactlib.stats.outcomes).
# Run: Rscript tests/r_reference/outcomes.R   (R 4.x, base and stats only)
# It builds its own copy of the closed-form data of test_outcomes.py::_data().
i <- 0:119
genre <- c("F", "H")[i %% 2 + 1]
antenne <- c("A", "B", "C")[i %% 3 + 1]
baseline <- 2 + ((i * 7) %% 11) / 5            # job-search score at the first wave
c13 <- (i * 13) %% 17
change <- c13 / 8 - 0.8                         # job-search change, first wave to last
conf <- ((i * 5) %% 9) / 4 - 1                  # change in a second dimension
u <- (i * 37 + 11) %% 20
employed <- as.integer(u < ifelse(c13 >= 9, 12, 8))
known <- i %% 6 != 5                            # employment_6m unknown for i %% 6 == 5
entry <- as.Date("2023-01-01") + 5 * i
exit <- entry + 150 + (i %% 7) * 10 + i %/% 10
after <- entry >= as.Date("2023-11-01")         # the policy change
f <- function(x) sprintf("%.10f", x)

# --- the funder's number: every exit counted (as_of 2030-01-01) ---------------------
x <- sum(employed[known]); n <- sum(known)
ci <- prop.test(x, n, correct = FALSE)$conf.int
cat("all:", x, "/", n, "of", length(i), "exited; wilson", f(ci), "\n")
cat("bounds:", f((x + sum(!known)) / length(i)), f(x / length(i)), "\n")
# exit cohorts by half-year (none under 5 exits)
half <- paste0(format(exit, "%Y"), ifelse(as.integer(format(exit, "%m")) <= 6, "-01-01", "-07-01"))
half[half == "2023-01-01"] <- "2023-07-01"       # under 5 exits: merged with the next cohort
for (h in sort(unique(half))) {
  s <- half == h
  xs <- sum(employed[s & known]); ns <- sum(s & known)
  ci <- prop.test(xs, ns, correct = FALSE)$conf.int
  cat("cohort", h, ": exited", sum(s), "known", ns, "employed", xs, "wilson", f(ci), "\n")
}

# --- soft against hard: Welch t among the known ------------------------------------
for (d in list(list("Recherche", change), list("Confiance", conf))) {
  v <- d[[2]]
  t <- t.test(v[known & employed == 1], v[known & employed == 0])
  cat("soft_hard", d[[1]], ": diff", f(t$estimate[1] - t$estimate[2]), "ci", f(t$conf.int),
      "t", f(t$statistic), "df", f(t$parameter), "p", f(t$p.value), "\n")
}

# --- logistic model: glm + confint.default ------------------------------------------
dat <- data.frame(employed, change, baseline, genre = factor(genre), antenne = factor(antenne))[known, ]
m <- glm(employed ~ change + baseline + genre + antenne, family = binomial, data = dat)
ci <- exp(confint.default(m))
for (term in names(coef(m))) {
  cat("model full", term, ": b", f(coef(m)[term]), "se", f(sqrt(diag(vcov(m)))[term]),
      "OR", f(exp(coef(m)[term])), "ci", f(ci[term, ]),
      "p", f(summary(m)$coefficients[term, 4]), "\n")
}
sub <- dat[as.integer(rownames(dat)) <= 80, ]     # i < 80: antenne is left out
cat("subset i < 80:", sum(sub$employed), "employed of", nrow(sub), "\n")
m2 <- glm(employed ~ change + baseline + genre, family = binomial, data = sub)
ci2 <- exp(confint.default(m2))
cat("model i<80 change: OR", f(exp(coef(m2)["change"])), "ci", f(ci2["change", ]), "\n")
small <- dat[as.integer(rownames(dat)) <= 30, ]   # i < 30: not fitted
cat("subset i < 30:", sum(small$employed), "employed of", nrow(small), "\n")

# --- before / after the policy change (2023-11-01) ----------------------------------
newc <- function(x1, n1, x2, n2) {   # Newcombe's hybrid score, from prop.test's Wilson limits
  a <- prop.test(x1, n1, correct = FALSE)$conf.int; b <- prop.test(x2, n2, correct = FALSE)$conf.int
  p1 <- x1 / n1; p2 <- x2 / n2; d <- p2 - p1
  c(d, d - sqrt((p2 - b[1])^2 + (a[2] - p1)^2), d + sqrt((b[2] - p2)^2 + (p1 - a[1])^2))
}
smd_p <- function(p2, p1) (p2 - p1) / sqrt((p2 * (1 - p2) + p1 * (1 - p1)) / 2)
h0 <- sum(genre[!after] == "H"); h1 <- sum(genre[after] == "H")
cat("genre H:", h0, "/", sum(!after), "->", h1, "/", sum(after), "\n")
cat("  wilson before", f(prop.test(h0, sum(!after), correct = FALSE)$conf.int),
    "after", f(prop.test(h1, sum(after), correct = FALSE)$conf.int), "\n")
cat("  newcombe", f(newc(h0, sum(!after), h1, sum(after))),
    "smd", f(smd_p(h1 / sum(after), h0 / sum(!after))), "\n")
b0 <- baseline[!after]; b1 <- baseline[after]
cat("baseline: means", f(mean(b0)), f(mean(b1)), "t ci before", f(t.test(b0)$conf.int),
    "after", f(t.test(b1)$conf.int), "\n")
cat("  welch after - before", f(t.test(b1, b0)$conf.int),
    "smd", f((mean(b1) - mean(b0)) / sqrt((var(b1) + var(b0)) / 2)), "\n")
e0 <- sum(employed[!after & known]); k0 <- sum(!after & known)
e1 <- sum(employed[after & known]); k1 <- sum(after & known)
cat("employment:", e0, "/", k0, "->", e1, "/", k1, "newcombe", f(newc(e0, k0, e1, k1)), "\n")
cat("known share:", k0, "/", sum(!after), "->", k1, "/", sum(after), "newcombe",
    f(newc(k0, sum(!after), k1, sum(after))), "\n")
cat("change Recherche: welch after - before", f(t.test(change[after], change[!after])$conf.int),
    "means", f(mean(change[!after])), f(mean(change[after])), "\n")
days <- as.numeric(exit - entry)
cat("coaching days medians", median(days[!after]), median(days[after]), "\n")
