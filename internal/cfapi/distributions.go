package cfapi

func (s *Server) registerDistributions() {}
