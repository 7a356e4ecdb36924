using UringScheduler.Bench.Running;

return BenchApp.RunConsole(args);
