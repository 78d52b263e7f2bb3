// nicc-synth: lowers Yosys' `$lcu` (the carry network of every `$alu`, i.e. of `+` and `-`)
// to a ripple carry, CO[i] = G[i] | (P[i] & CO[i-1]), for the algebraic proofs: the same
// function as the default Brent-Kung lowering, in a shape whose polynomial stays small under
// backward rewriting. The `_10_` prefix makes techmap prefer it over `_90_lcu`.
(* techmap_celltype = "$lcu" *)
module _10_nicc_ripple_lcu (P, G, CI, CO);
	parameter WIDTH = 2;
	(* force_downto *) input [WIDTH-1:0] P, G;
	input CI;
	(* force_downto *) output [WIDTH-1:0] CO;
	genvar i;
	generate for (i = 0; i < WIDTH; i = i + 1) begin: bit
		if (i == 0) begin: first
			assign CO[0] = G[0] | (P[0] & CI);
		end else begin: next
			assign CO[i] = G[i] | (P[i] & CO[i-1]);
		end
	end endgenerate
endmodule
