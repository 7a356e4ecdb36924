global using NUnit.Framework;

// The two soaks (one per backend) run side by side: the suite's time budget has room for one, not two in a row.
[assembly: LevelOfParallelism(2)]
