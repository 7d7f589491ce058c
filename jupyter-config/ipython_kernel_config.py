# >>> dspex_nb >>> (added by `dspex-nb jupyter enable`; `disable` removes it)
c.InteractiveShellApp.extensions.append("dspex_nb")
# <<< dspex_nb <<<
